"""Read, identify and check the returned files, in worker processes when there are
enough of them to pay for starting the processes.

Reading (calamine, the package checks) and checking cells are CPU work that threads
cannot share out (the checks hold the GIL), so the files go to worker processes, one
file at a time to whichever is free, the results collected in file order: the report
and ledger are the same as a serial run's, byte for byte.

A worker is a fresh interpreter (`python -m xlflow.merge._checker`), started the same
way on Windows and POSIX: everything it gets (the `Context`, once) and gives back (each
file's `Checked`, without the sheets' raw cells) is pickled through its pipes, nothing
is inherited. Unlike multiprocessing's spawn it never re-imports the caller's main
module, so a script calling `api.merge` needs no `if __name__ == "__main__"` guard.
A worker that fails or dies leaves its file to this process, which checks it itself.

`XLFLOW_WORKERS=N` sets the number of processes (1: everything in this process).
"""

from __future__ import annotations

import contextlib
import os
import pickle
import subprocess
import sys
import threading
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace
from pathlib import Path
from typing import IO, Any

from .context import Context
from .identify import Checked, identify
from .read import read_returns

ProgressFn = Callable[[int, int], None]

MAX_WORKERS = 4
# below these, starting processes (~0.3 s each, side by side) costs more than it saves
MIN_FILES = 8
MIN_BYTES = 4 << 20
_PACKAGE_ROOT = str(Path(__file__).resolve().parents[2])  # the folder holding xlflow/


def workers_for(paths: Sequence[Path]) -> int:
    """How many processes check `paths`: XLFLOW_WORKERS when set, else one per core (at
    most MAX_WORKERS) once there are enough files and bytes to pay for them."""
    setting = os.environ.get("XLFLOW_WORKERS", "").strip()
    if setting.isdigit():
        return max(1, min(int(setting), len(paths)))
    if len(paths) < MIN_FILES or _total_size(paths) < MIN_BYTES:
        return 1
    return max(1, min(MAX_WORKERS, os.cpu_count() or 1, len(paths)))


def _total_size(paths: Sequence[Path]) -> int:
    total = 0
    for p in paths:
        with contextlib.suppress(OSError):  # read_returns says what is wrong with it
            total += p.stat().st_size
    return total


def check_files(paths: Sequence[Path], ctx: Context, progress: ProgressFn | None = None,
                *, workers: int | None = None) -> list[Checked]:
    """Every file read and checked (a zip of workbooks gives one Checked per member), in
    the order of `paths`; progress(n, total) after each file, in that order."""
    count = workers_for(paths) if workers is None else max(1, workers)
    results: Iterable[list[Checked]]
    if count > 1 and len(paths) > 1 and sys.executable:
        pool = _Workers(ctx, min(count, len(paths)))
        results = pool.map(paths)
    else:
        pool, results = None, (check_path(p, ctx) for p in paths)
    out: list[Checked] = []
    try:
        for n, checked in enumerate(results, start=1):
            out.extend(checked)
            if progress:
                progress(n, len(paths))
    finally:
        if pool is not None:
            pool.close()
    return out


def check_path(path: Path, ctx: Context) -> list[Checked]:
    """One file read and checked: what a worker does with each file it is given."""
    return [_slim(identify(ret, ctx)) for ret in read_returns(path, ctx.specs)]


def _slim(checked: Checked) -> Checked:
    """What the merge needs of a checked file: its records and issues, not the raw cells
    read (a worker would pickle them all back for nothing)."""
    checked.ret = replace(checked.ret, tables={}, identity_tasks=[])
    return checked


class _Workers:
    """`count` worker processes, each driven by one thread of a thread pool: the thread
    sends its worker a path and waits for the answer (the waiting releases the GIL)."""

    def __init__(self, ctx: Context, count: int) -> None:
        self.ctx = ctx
        self.context = pickle.dumps(ctx, protocol=pickle.HIGHEST_PROTOCOL)
        self.local = threading.local()
        self.started: list[subprocess.Popen[bytes]] = []
        self.lock = threading.Lock()
        self.threads = ThreadPoolExecutor(max_workers=count, thread_name_prefix="xlflow-check")

    def map(self, paths: Sequence[Path]) -> Iterable[list[Checked]]:
        return self.threads.map(self._one, paths)

    def _one(self, path: Path) -> list[Checked]:
        if getattr(self.local, "failed", False):
            return check_path(path, self.ctx)
        worker: subprocess.Popen[bytes] | None = getattr(self.local, "worker", None)
        try:
            if worker is None:
                worker = self.local.worker = self._start()
            assert worker.stdout is not None
            _send(worker.stdin, str(path))
            ok, result = pickle.load(worker.stdout)
        except (OSError, EOFError, pickle.UnpicklingError):
            # a worker that would not start or died: this thread's files are checked
            # here from now on
            ok, result = False, None
            self.local.failed, self.local.worker = True, None
        if ok:
            return list(result)
        # the worker failed on this file: check it here, where an error raises as usual
        return check_path(path, self.ctx)

    def _start(self) -> subprocess.Popen[bytes]:
        env = dict(os.environ)
        env["PYTHONPATH"] = os.pathsep.join(
            p for p in (_PACKAGE_ROOT, env.get("PYTHONPATH", "")) if p)
        worker = subprocess.Popen(
            [sys.executable, "-m", "xlflow.merge._checker"], stdin=subprocess.PIPE,
            stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, env=env)
        with self.lock:
            self.started.append(worker)
        assert worker.stdin is not None
        worker.stdin.write(self.context)
        worker.stdin.flush()
        return worker

    def close(self) -> None:
        self.threads.shutdown(wait=True, cancel_futures=True)
        for worker in self.started:
            _stop(worker)


def _send(fh: IO[bytes] | None, message: Any) -> None:
    assert fh is not None
    pickle.dump(message, fh, protocol=pickle.HIGHEST_PROTOCOL)
    fh.flush()


def _stop(worker: subprocess.Popen[bytes]) -> None:
    """Closing its stdin ends a worker; one that does not end is killed."""
    with contextlib.suppress(OSError):
        if worker.stdin is not None:
            worker.stdin.close()
    try:
        worker.wait(timeout=10)
    except subprocess.TimeoutExpired:
        worker.kill()
        worker.wait()
    if worker.stdout is not None:
        worker.stdout.close()
