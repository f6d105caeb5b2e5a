"""`python -m xlflow` is the `xlflow` command."""

from .cli import cli

cli(prog_name="xlflow")
