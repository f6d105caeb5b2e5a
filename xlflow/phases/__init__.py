"""The process after `merge`'s inputs exist: one module per phase, over the Workspace
and typed records. Setup and build → consensus and approval → delivery by mail →
acceptance → review, retrospective, archive; resources across projects."""
