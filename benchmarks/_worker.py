"""One measurement in a fresh process, started by the benchmarks:

    python benchmarks/_worker.py KIND '{"root": ..., ...}'

Imports the measured side's modules first and leaves them out of the time (import_s is
reported on its own), so neither side pays its imports in work_s; anything a library
imports lazily while working is part of its work. Prints one JSON line:
{"work_s", "cpu_s" (all threads), "children_cpu_s" (the merge's worker processes),
"import_s", "peak_mb", "count", "cache_warm"}
(cache_warm: merge and project only, whether project.yaml's cache was there and current;
`"cold": true` in the options removes it first). Peak memory is this process's peak
resident size (Linux /proc, other POSIX getrusage; null on Windows).
"""

from __future__ import annotations

import json
import os
import sys
import time

STARTED = time.perf_counter()
KIND, OPTS = sys.argv[1], json.loads(sys.argv[2])
READ_SHEETS = OPTS.get("sheets", [])

# -- imports of the measured side only ---------------------------------------------------
if KIND == "calamine":
    from python_calamine import CalamineWorkbook
elif KIND == "pandas":
    import openpyxl  # noqa: F401  pandas imports it on the first read_excel: paid up front
    import pandas as pd
elif KIND in ("merge", "build"):
    import datetime as dt

    from xlflow import api
elif KIND in ("plain", "replay"):
    import pickle

    import xlsxwriter
elif KIND == "project":  # bench_project.py: loading project.yaml alone
    from xlflow.project import load_project
else:
    sys.exit(f"unknown kind {KIND!r}")

import shutil  # noqa: E402
from pathlib import Path  # noqa: E402


def peak_mb() -> float | None:
    """Linux: VmHWM, which starts afresh at exec (ru_maxrss keeps the peak of the forked
    parent, so every worker would show at least the parent's size); other POSIX systems:
    ru_maxrss; Windows: None."""
    try:
        with open("/proc/self/status", encoding="ascii") as fh:
            for line in fh:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) / 1024
    except OSError:
        pass
    try:
        import resource
    except ImportError:  # Windows
        return None
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return rss / 1024 / 1024 if sys.platform == "darwin" else rss / 1024  # bytes vs KiB


def inbox() -> list[Path]:
    return sorted((Path(OPTS["root"]) / "inbox").glob("*.xlsx"))


def read_calamine() -> int:
    """The sheets xlflow reads, as xlflow reads them (whole grid, empty area kept)."""
    rows = 0
    for f in inbox():
        book = CalamineWorkbook.from_path(str(f))
        for name in READ_SHEETS:
            rows += len(book.get_sheet_by_name(name).to_python(skip_empty_area=False))
        book.close()
    return rows


def read_pandas() -> int:
    return sum(len(df) for f in inbox()
               for df in pd.read_excel(f, sheet_name=READ_SHEETS, engine="openpyxl",
                                       header=None).values())


def merge() -> int:
    root = Path(OPTS["root"])
    report = api.merge(root, as_of=dt.date.fromisoformat(OPTS["as_of"]), week=OPTS["week"],
                       write=OPTS["write"])
    refused = sum(not f.accepted for f in report.files)
    if refused:  # a merge that refuses the returns measures nothing (no records, no checks)
        sys.exit(f"{refused} of {len(report.files)} returns refused: "
                 f"{sorted({i.code for i in report.issues if i.is_error})}")
    return len(report.tasks)


def build() -> int:
    result = api.build(Path(OPTS["root"]), week=OPTS["week"])
    return len(result.departments) + len(result.risk_forms) + 1


def project() -> int:
    return len(load_project(Path(OPTS["root"])).tasks)


def write_plain() -> int:
    out = Path(OPTS["out"])
    for n, sheets in enumerate(CELLS):
        wb = xlsxwriter.Workbook(str(out / f"{n}.xlsx"), OPTS["options"])
        for name, rows in sheets:
            ws = wb.add_worksheet(name)
            for r, row in enumerate(rows):
                ws.write_row(r, 0, row)
        wb.close()
    return len(CELLS)


def replay() -> int:
    """bench_build.py's second baseline: XlsxWriter making the workbooks build made, by
    the calls build made (recorded while the workbooks were first built)."""
    out = Path(OPTS["out"])
    for n, (options, calls) in enumerate(CALLS):
        wb = xlsxwriter.Workbook(str(out / f"{n}.xlsx"), options)
        sheets: list = []
        formats: list = []
        for target, name, args, kwargs, fmt_at in calls:
            if fmt_at:  # where the call's formats go: an argument, or a key of one
                args = list(args)
                for at in fmt_at:
                    if at.__class__ is int:
                        args[at] = formats[args[at]]
                    else:
                        i, key = at
                        args[i] = {**args[i], key: formats[args[i][key]]}
            if target < 0:
                result = getattr(wb, name)(*args, **kwargs)
                if name == "add_worksheet":
                    sheets.append(result)
                elif name == "add_format":
                    formats.append(result)
            else:
                getattr(sheets[target], name)(*args, **kwargs)
    return len(CALLS)


WORK = {"calamine": read_calamine, "pandas": read_pandas, "merge": merge, "build": build,
        "plain": write_plain, "replay": replay, "project": project}[KIND]
import_s = time.perf_counter() - STARTED

# -- set-up, not timed ----------------------------------------------------------------------
if KIND == "merge" and OPTS["write"]:  # every run writes a first report into the ledger
    root = Path(OPTS["root"])
    # the ledger as made (filed, and the build's file ids, without which every return is
    # refused as unknown-file-id): kept aside once, put back before each run
    pristine = root / "bench-ledger.sqlite"
    if not pristine.exists():
        shutil.copy2(root / "xlflow-ledger.sqlite", pristine)
    for old in root.glob("xlflow-ledger.sqlite*"):
        old.unlink()
    shutil.copy2(pristine, root / "xlflow-ledger.sqlite")
    shutil.rmtree(root / "reports", ignore_errors=True)
    (root / "reports").mkdir()
if KIND in ("project", "merge") and OPTS.get("cold"):  # no cache: project.yaml is parsed
    shutil.rmtree(Path(OPTS["root"]) / ".xlflow-cache", ignore_errors=True)
if KIND in ("project", "merge"):
    from xlflow._project_cache import is_current

    CACHE_WARM = is_current(Path(OPTS["root"]))
if KIND == "plain":
    with open(OPTS["cells"], "rb") as fh:
        CELLS = pickle.load(fh)
if KIND == "replay":
    with open(OPTS["calls"], "rb") as fh:
        CALLS = pickle.load(fh)
if OPTS.get("profile"):  # bench_merge.py --profile N: the top N by cumulative time, on stderr
    import cProfile
    import pstats

    profiler = cProfile.Profile()

imports_mb = peak_mb()  # the peak before the work: what the imports take
start, cpu_start = time.perf_counter(), time.process_time()
children_start = os.times()  # the merge's worker processes, once it has waited for them
count = profiler.runcall(WORK) if OPTS.get("profile") else WORK()
work_s, cpu_s = time.perf_counter() - start, time.process_time() - cpu_start
children_cpu_s = sum(os.times()[2:4]) - sum(children_start[2:4])  # 0 on Windows
if OPTS.get("profile"):
    pstats.Stats(profiler, stream=sys.stderr).sort_stats("cumulative").print_stats(OPTS["profile"])
project_s, project_cold_s, workers = None, None, None
if KIND == "merge":  # after the time: how much of it loading project.yaml is (CPU), from
    # the cache (warm) and parsed (cold: no cache, which the load then writes)
    from xlflow.merge.parallel import workers_for
    from xlflow.project import load_project
    from xlflow.workspace import Workspace

    project_start = time.process_time()
    load_project(Path(OPTS["root"]))
    project_s = time.process_time() - project_start
    shutil.rmtree(Path(OPTS["root"]) / ".xlflow-cache", ignore_errors=True)
    project_start = time.process_time()
    load_project(Path(OPTS["root"]))
    project_cold_s = time.process_time() - project_start
    workers = workers_for(Workspace(Path(OPTS["root"])).list_inbox())
print(json.dumps({"work_s": work_s, "cpu_s": cpu_s, "import_s": import_s, "peak_mb": peak_mb(),
                  "count": count, "children_cpu_s": children_cpu_s, "project_s": project_s,
                  "project_cold_s": project_cold_s,
                  "workers": workers, "imports_mb": imports_mb,
                  "cache_warm": CACHE_WARM if KIND in ("project", "merge") else None}))
