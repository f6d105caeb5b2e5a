"""The five templates of the seed process as declarative YAML specs (package data)."""
