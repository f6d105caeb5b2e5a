"""The merge as a pipeline, one module per stage:

read → identify → check → tasks / risks / acceptance / feedback (with carry) → rollup
→ changes → report. `pipeline.run` is one merge; `validate` reuses identify + check.
"""
