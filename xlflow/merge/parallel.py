"""Read, identify and check the returned files, in worker processes when the work is
expected to pay for starting them.

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

Whether the workers pay for themselves is estimated from the work (`plan_workers`): one
process's time to read and check the files, from their number and the size of their sheets'
XML, against what starting a worker costs. `XLFLOW_WORKERS=N` sets the number of processes
instead (1: everything in this process).
"""

from __future__ import annotations

import contextlib
import os
import pickle
import subprocess
import sys
import threading
import zipfile
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import IO, Any

from ._checker import check_path
from .context import Context
from .identify import Checked

ProgressFn = Callable[[int, int], None]

MAX_WORKERS = 4
# The cost model, measured with benchmarks/bench_merge.py on a 2-core machine (README,
# Benchmarks). One process reading and checking a return takes FILE_S plus SHEET_MB_S per
# MB of its sheets' XML (uncompressed: what calamine parses and the checks walk; a file's
# own size is no guide, task rows compress ten times better than a template's fixed parts).
FILE_S = 0.0015
SHEET_MB_S = 0.025
UNKNOWN_RATIO = 8  # sheet XML per byte of a file whose sheets cannot be counted (.xls, a zip)
SAMPLE = 16  # files whose sheets are counted; the others are estimated from their sizes
# A worker's start before its first file: a fresh interpreter importing the reading and
# checking modules and unpickling the context (0.25 s idle, ~0.45 s on a busy machine;
# the context adds ~0.2 s at 100,000 tasks, where the work is far past the break-even).
START_S = 0.4
# A worker also pickles its answers: a fifth on top of the checking it takes over.
WORKER_SHARE = 0.2
# While the workers check, this process unpickles their answers: about a tenth of the work.
ANSWER_SHARE = 0.1
# The workers must be expected to save a tenth of the serial time, or one process checks.
WIN = 0.9
_PACKAGE_ROOT = str(Path(__file__).resolve().parents[2])  # the folder holding xlflow/


def workers_for(paths: Sequence[Path]) -> int:
    """How many processes check `paths`: XLFLOW_WORKERS when set, else `plan_workers`'
    choice for the estimated work on the cores other processes leave idle."""
    setting = os.environ.get("XLFLOW_WORKERS", "").strip()
    if setting.isdigit():
        return max(1, min(int(setting), len(paths)))
    if len(paths) < 2:
        return 1
    return plan_workers(estimate_serial_s(paths), len(paths), idle_cores())


def plan_workers(serial_s: float, files: int, cores: int) -> int:
    """The number of processes expected to check `files` files fastest on `cores` idle
    cores, given `serial_s`, one process's time for them: k workers (one per core, at
    most MAX_WORKERS) take START_S + serial_s × ((1 + WORKER_SHARE)/k + ANSWER_SHARE) of
    wall time, and are used only when that is at most WIN × serial_s (from 2 s of work on
    two cores, 0.8 s on four)."""
    k = min(MAX_WORKERS, cores, files)
    if k < 2:
        return 1
    pooled = START_S + serial_s * ((1 + WORKER_SHARE) / k + ANSWER_SHARE)
    return k if pooled <= WIN * serial_s else 1


def idle_cores() -> int:
    """This machine's cores less those other processes keep busy (the one-minute load
    average, where the system keeps one: not on Windows). Workers on a busy machine wait
    for a core and add their start and pickling to everyone's load: at 100,000 tasks on
    two cores shared with test suites, two workers took twice one process's wall time."""
    cores = os.cpu_count() or 1
    if hasattr(os, "getloadavg"):
        with contextlib.suppress(OSError):
            cores -= round(os.getloadavg()[0])
    return max(1, cores)


def estimate_serial_s(paths: Sequence[Path]) -> float:
    """CPU seconds one process would take to read and check `paths`: FILE_S a file and
    SHEET_MB_S a MB of sheet XML, counted in the zip directories of up to SAMPLE files
    spread over the list and scaled to the others by their sizes."""
    sizes = [_size(p) for p in paths]
    step = max(1, -(-len(paths) // SAMPLE))
    sampled = range(0, len(paths), step)
    sample_bytes = sum(sizes[i] for i in sampled)
    sheet_bytes = sum(_sheet_bytes(paths[i], sizes[i]) for i in sampled)
    ratio = sheet_bytes / sample_bytes if sample_bytes else UNKNOWN_RATIO
    return len(paths) * FILE_S + sum(sizes) * ratio / 1e6 * SHEET_MB_S


def _size(path: Path) -> int:
    try:
        return path.stat().st_size
    except OSError:  # read_returns says what is wrong with it
        return 0


def _sheet_bytes(path: Path, size: int) -> int:
    """The uncompressed size of a workbook's sheets (xlsx worksheets, an .ods's content),
    from its zip directory; a file that is no such package counts UNKNOWN_RATIO × size."""
    try:
        with zipfile.ZipFile(path) as zf:
            found = sum(i.file_size for i in zf.infolist()
                        if i.filename.startswith("xl/worksheets/")
                        or i.filename == "content.xml")
    except (OSError, EOFError, ValueError, RuntimeError, NotImplementedError,
            zipfile.BadZipFile):
        found = 0
    return found or size * UNKNOWN_RATIO


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
