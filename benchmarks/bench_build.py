"""Time `xlflow build` against writing the same cells with plain XlsxWriter.

    python benchmarks/bench_build.py [--departments 50 --tasks-per-department 200 --repeat 5]
    python benchmarks/bench_build.py --scale 10,50,200 --tasks-per-department 50

Builds the workbooks once (not timed) and reads back every cell of every sheet, then
measures, each run in a fresh process, the runs interleaved:
  xlflow build      api.build: one formatted, validated, protected workbook and one
                    risk form (风险应对申请表) per department and the PMO master, from
                    project.yaml;
  plain XlsxWriter  the same cells written with write_row, no formats, validations or
                    protection, with the workbook options build uses (in_memory).
Imports are left out of both times and shown on their own. Peak memory is per process
(POSIX only, "n/a" elsewhere). Both sides run on one core: the ratio uses the best CPU
time of --repeat runs, which on an idle machine is the wall time and on a shared one is
not inflated by waiting for a core (aim <= 1.5); build_s is the best wall time. Last line:
  build_vs_plain_xlsxwriter=X workbooks=N build_s=S peak_mb=M
With --scale, build is measured at each department count; last line:
  per_task_largest_vs_smallest=R build_vs_plain_at_largest=X sizes=...
"""

from __future__ import annotations

import pickle
import sys
import tempfile
from pathlib import Path

from python_calamine import CalamineWorkbook

sys.path.insert(0, str(Path(__file__).parent))
from _harness import Measure, fmt_peak, interleave, machine, table
from _synthetic import WEEK, size_args, write_project

from xlflow import api
from xlflow.writer.department import WORKBOOK_OPTIONS


def read_cells(path: Path) -> list[tuple[str, list[list[object]]]]:
    book = CalamineWorkbook.from_path(str(path))
    return [(name, book.get_sheet_by_name(name).to_python(skip_empty_area=False))
            for name in book.sheet_names]


def prepare(tmp: str, departments: int, per_department: int) -> tuple[list[Measure], int]:
    """The two measures, and how many cells each writes."""
    root = Path(tmp) / f"bench-{departments}x{per_department}"
    write_project(root, departments, per_department)
    built = api.build(root, week=WEEK)
    cells = [read_cells(p) for p in [*built.departments.values(), *built.risk_forms.values(),
                                     built.master]]
    with open(Path(tmp) / "cells.pickle", "wb") as fh:
        pickle.dump(cells, fh)
    (Path(tmp) / "plain").mkdir()
    n_cells = sum(len(row) for sheets in cells for _, rows in sheets for row in rows)
    return [Measure("xlflow build", "build", {"root": str(root), "week": WEEK}),
            Measure("plain XlsxWriter", "plain", {"cells": str(Path(tmp) / "cells.pickle"),
                                                  "out": str(Path(tmp) / "plain"),
                                                  "options": WORKBOOK_OPTIONS})], n_cells


def one_size(args) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        found, n_cells = prepare(tmp, args.departments, args.tasks_per_department)
        interleave(found, args.repeat)
    build, plain = found
    tasks = args.departments * args.tasks_per_department
    print(f"{args.departments} departments × {args.tasks_per_department} tasks = {tasks} tasks; "
          f"{build.count} workbooks, {n_cells} cells; best and median of {args.repeat}; "
          f"{machine()}")
    print(table(found))
    print(f"build_vs_plain_xlsxwriter={build.cpu_best / plain.cpu_best:.2f} workbooks={build.count} "
          f"build_s={build.best:.2f} peak_mb={fmt_peak(build.peak_mb)}")


def scaling(args) -> None:
    per = args.tasks_per_department
    print(f"scaling, {per} tasks per department; best CPU time of {args.repeat}; {machine()}")
    print(f"{'files':>7} {'tasks':>7}  {'cpu s':>8} {'ms/file':>8} {'µs/task':>8}  "
          f"{'plain cpu':>9} {'ratio':>6} {'peak MB':>7}")
    per_task: list[float] = []
    ratio = 0.0
    for n in args.scale:
        with tempfile.TemporaryDirectory() as tmp:
            found, _ = prepare(tmp, n, per)
            interleave(found, args.repeat)
        build, plain = found
        tasks = n * per
        per_task.append(build.cpu_best / tasks)
        ratio = build.cpu_best / plain.cpu_best
        print(f"{build.count:7d} {tasks:7d}  {build.cpu_best:8.3f} "
              f"{build.cpu_best / build.count * 1e3:8.2f} {build.cpu_best / tasks * 1e6:8.1f}  "
              f"{plain.cpu_best:9.3f} {ratio:6.2f} "
              f"{fmt_peak(build.peak_mb):>7}")
    print(f"per_task_largest_vs_smallest={per_task[-1] / per_task[0]:.2f} "
          f"build_vs_plain_at_largest={ratio:.2f} sizes={','.join(map(str, args.scale))}")


def main() -> None:
    args = size_args(__doc__, default_departments=50, default_tasks=200)
    scaling(args) if args.scale else one_size(args)


if __name__ == "__main__":
    main()
