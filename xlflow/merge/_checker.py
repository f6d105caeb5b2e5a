"""A merge worker process (`python -m xlflow.merge._checker`, started by `parallel`):
reads the pickled `Context` from stdin, then paths, one at a time; answers each with a
pickled (True, [Checked, ...]) or (False, None) when checking it failed (the merge
then checks that file itself). Ends when stdin closes.

It imports only what reading and checking need (not `parallel`'s subprocess and thread
pool): each worker pays its imports before its first file."""

from __future__ import annotations

import gc
import pickle
import sys
from dataclasses import replace
from pathlib import Path

from .context import Context
from .identify import Checked, identify
from .read import read_returns


def check_path(path: Path, ctx: Context) -> list[Checked]:
    """One file read and checked: what a worker does with each file it is given (and the
    merge's own process, when it checks alone)."""
    return [_slim(identify(ret, ctx)) for ret in read_returns(path, ctx.specs)]


def _slim(checked: Checked) -> Checked:
    """What the merge needs of a checked file: its records and issues, not the raw cells
    read (a worker would pickle them all back for nothing)."""
    checked.ret = replace(checked.ret, tables={}, identity_tasks=[])
    return checked


def serve() -> None:
    stdin, stdout = sys.stdin.buffer, sys.stdout.buffer
    sys.stdout = sys.stderr  # nothing printed may reach the answers' pipe
    ctx = pickle.load(stdin)
    # no cyclic garbage collection, as in the merge's own process (_gcpause.paused_gc):
    # each full collection would walk the context's tasks again (~20% of the checking at
    # 100,000 tasks); a file's records are freed by reference counting once answered
    gc.disable()
    while True:
        try:
            path = pickle.load(stdin)
        except EOFError:
            return
        try:
            answer = (True, check_path(Path(path), ctx))
            data = pickle.dumps(answer, protocol=pickle.HIGHEST_PROTOCOL)
        except Exception:  # the merge checks this file itself and raises there
            data = pickle.dumps((False, None), protocol=pickle.HIGHEST_PROTOCOL)
        stdout.write(data)
        stdout.flush()


if __name__ == "__main__":
    serve()
