"""A merge worker process (`python -m xlflow.merge._checker`, started by `parallel`):
reads the pickled `Context` from stdin, then paths, one at a time; answers each with a
pickled (True, [Checked, ...]) or (False, None) when checking it failed (the merge
then checks that file itself). Ends when stdin closes."""

from __future__ import annotations

import pickle
import sys
from pathlib import Path


def serve() -> None:
    from .parallel import check_path

    stdin, stdout = sys.stdin.buffer, sys.stdout.buffer
    sys.stdout = sys.stderr  # nothing printed may reach the answers' pipe
    ctx = pickle.load(stdin)
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
