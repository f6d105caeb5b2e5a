"""Time `xlflow build` against writing the same cells with plain XlsxWriter.

    python benchmarks/bench_build.py [--departments 50 --tasks-per-department 200 --repeat 5]
    python benchmarks/bench_build.py --scale 10,50,200 --tasks-per-department 50

Builds the workbooks once (not timed), recording every XlsxWriter call build makes, and
reads back every cell of every sheet, then measures, each run in a fresh process, the
runs interleaved:
  xlflow build      api.build: one formatted, validated, protected workbook and one
                    risk form (风险应对申请表) per department and the PMO master, from
                    project.yaml;
  plain XlsxWriter  the headline baseline: the same cells written with write_row, no
                    formats, validations or protection, with the workbook options build
                    uses (in_memory);
  XlsxWriter, build's calls
                    a second baseline: build's XlsxWriter calls replayed, recorded with
                    every cell written cell by cell (the same cells, blank formatted
                    input cells, formats, row heights, validations, protection): what
                    XlsxWriter alone takes for build's workbooks through its API; build
                    writes its table rows as XML instead (xlflow._sheetxml), so it can
                    be below 1.
With XLFLOW_BENCH_AGAINST=DIR (a folder holding an earlier `xlflow` package) that
xlflow's build is measured too, interleaved with the others: before and after a change.
Imports are left out of every time and shown on their own. Peak memory is per process
(POSIX only, "n/a" elsewhere). All run on one core: the ratios use the best CPU
time of --repeat runs, which on an idle machine is the wall time and on a shared one is
not inflated by waiting for a core (aim <= 1.3); build_s is the best wall time. Last line:
  build_vs_plain_xlsxwriter=X workbooks=N build_s=S peak_mb=M build_vs_own_calls=Y
With --scale, build is measured at each department count; last line:
  per_task_largest_vs_smallest=R build_vs_plain_at_largest=X sizes=...
"""

from __future__ import annotations

import contextlib
import functools
import inspect
import os
import pickle
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import xlsxwriter
from python_calamine import CalamineWorkbook
from xlsxwriter.format import Format
from xlsxwriter.worksheet import Worksheet

sys.path.insert(0, str(Path(__file__).parent))
from _harness import Measure, fmt_peak, interleave, machine, table
from _synthetic import WEEK, size_args, write_project

from xlflow import api
from xlflow.writer.department import WORKBOOK_OPTIONS


def read_cells(path: Path) -> list[tuple[str, list[list[object]]]]:
    book = CalamineWorkbook.from_path(str(path))
    return [(name, book.get_sheet_by_name(name).to_python(skip_empty_area=False))
            for name in book.sheet_names]


Call = tuple[int, str, tuple[Any, ...], dict[str, Any], tuple[Any, ...]]


@contextlib.contextmanager
def recording() -> Iterator[list[tuple[dict[str, Any], list[Call]]]]:
    """Every XlsxWriter call xlflow makes while this lasts, workbook by workbook: (target
    -1 for the workbook or the worksheet's number, method, arguments, where formats go).
    A format is recorded as the number of the add_format call that made it. Calls that
    XlsxWriter makes on its own behalf (merge_range writing blanks) are not recorded."""
    books: list[tuple[dict[str, Any], list[Call]]] = []
    depth = [0]

    def wrap(cls: type, name: str) -> Any:
        method = getattr(cls, name)

        @functools.wraps(method)
        def recorded(self: Any, *args: Any, **kwargs: Any) -> Any:
            outer = depth[0] == 0
            if outer:
                call = _encode(self._bench_target, name, args, kwargs, self._bench_formats)
            depth[0] += 1
            try:
                result = method(self, *args, **kwargs)
            finally:
                depth[0] -= 1
            if outer:
                self._bench_calls.append(call)
                if name == "add_format":
                    self._bench_formats[id(result)] = len(self._bench_formats)
                elif name == "add_worksheet":
                    result._bench_target = len(self.worksheets()) - 1
                    result._bench_calls = self._bench_calls
                    result._bench_formats = self._bench_formats
            return result
        return recorded

    def public(cls: type) -> list[str]:
        return [n for n, v in inspect.getmembers(cls, inspect.isfunction)
                if not n.startswith("_") and n != "worksheets"]

    sheet_cls = type("RecordedWorksheet", (Worksheet,),
                     {n: wrap(Worksheet, n) for n in public(Worksheet)})
    original = xlsxwriter.Workbook

    class RecordedWorkbook(original):  # type: ignore[misc, valid-type]
        worksheet_class = sheet_cls

        def __init__(self, filename: Any = None, options: Any = None) -> None:
            depth[0] += 1  # its own formats (the default one) are made anyway
            try:
                super().__init__(filename, options)
            finally:
                depth[0] -= 1
            self._bench_target = -1
            self._bench_calls: list[Call] = []
            self._bench_formats: dict[int, int] = {}
            books.append((dict(options or {}), self._bench_calls))

    for n in public(original):
        setattr(RecordedWorkbook, n, wrap(original, n))
    xlsxwriter.Workbook = RecordedWorkbook
    try:
        yield books
    finally:
        xlsxwriter.Workbook = original


def _encode(target: int, name: str, args: tuple[Any, ...], kwargs: dict[str, Any],
            formats: dict[int, int]) -> Call:
    at: list[Any] = []
    out = list(args)
    for i, arg in enumerate(args):
        if isinstance(arg, Format):
            out[i] = formats[id(arg)]
            at.append(i)
        elif isinstance(arg, dict) and any(isinstance(v, Format) for v in arg.values()):
            out[i] = {k: formats[id(v)] if isinstance(v, Format) else v
                      for k, v in arg.items()}
            at += [(i, k) for k, v in arg.items() if isinstance(v, Format)]
    if any(isinstance(v, (Format, dict)) for v in kwargs.values()):
        raise TypeError(f"{name}: a format or options given by keyword, not recorded")
    return target, name, tuple(out), dict(kwargs), tuple(at)


@contextlib.contextmanager
def cell_by_cell() -> Iterator[None]:
    """Build with every cell, format and validation an XlsxWriter call, as before rows
    were held as XML (xlflow._sheetxml) and formats and validations reused
    (xlflow._xlsxreuse): what the replay baseline records is XlsxWriter writing build's
    workbooks through its API, the same parts byte for byte (tests/test_sheetxml.py)."""
    from xlflow import _sheetxml, _xlsxreuse
    reuse = _xlsxreuse.supported
    _xlsxreuse.supported = lambda obj: False
    patched = [m for name, m in list(sys.modules.items())
               if name.startswith("xlflow") and getattr(m, "held_rows", None) is _sheetxml.held_rows]
    for module in patched:
        module.held_rows = lambda ws: None
    try:
        yield
    finally:
        _xlsxreuse.supported = reuse
        for module in patched:
            module.held_rows = _sheetxml.held_rows


def prepare(tmp: str, departments: int, per_department: int) -> tuple[list[Measure], int]:
    """The three measures, and how many cells build's workbooks hold."""
    root = Path(tmp) / f"bench-{departments}x{per_department}"
    write_project(root, departments, per_department)
    with recording() as books, cell_by_cell():
        built = api.build(root, week=WEEK)
    with open(Path(tmp) / "calls.pickle", "wb") as fh:
        pickle.dump(books, fh)
    (Path(tmp) / "replay").mkdir()
    cells = [read_cells(p) for p in [*built.departments.values(), *built.risk_forms.values(),
                                     built.master]]
    with open(Path(tmp) / "cells.pickle", "wb") as fh:
        pickle.dump(cells, fh)
    (Path(tmp) / "plain").mkdir()
    n_cells = sum(len(row) for sheets in cells for _, rows in sheets for row in rows)
    return [Measure("xlflow build", "build", {"root": str(root), "week": WEEK}),
            Measure("plain XlsxWriter", "plain", {"cells": str(Path(tmp) / "cells.pickle"),
                                                  "out": str(Path(tmp) / "plain"),
                                                  "options": WORKBOOK_OPTIONS}),
            Measure("XlsxWriter, build's calls", "replay",
                    {"calls": str(Path(tmp) / "calls.pickle"),
                     "out": str(Path(tmp) / "replay")}),
            *against(root)], n_cells


def against(root: Path) -> list[Measure]:
    """$XLFLOW_BENCH_AGAINST: an earlier xlflow's source folder (the one holding its
    `xlflow` package), measured as one more build, interleaved with the others: before and
    after a change on the same machine in the same minutes."""
    earlier = os.environ.get("XLFLOW_BENCH_AGAINST")
    if not earlier:
        return []
    return [Measure(f"xlflow build ({Path(earlier).name})", "build",
                    {"root": str(root), "week": WEEK}, env={"PYTHONPATH": earlier})]


def one_size(args) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        found, n_cells = prepare(tmp, args.departments, args.tasks_per_department)
        interleave(found, args.repeat)
    build, plain, replay = found[:3]
    tasks = args.departments * args.tasks_per_department
    print(f"{args.departments} departments × {args.tasks_per_department} tasks = {tasks} tasks; "
          f"{build.count} workbooks, {n_cells} cells; best and median of {args.repeat}; "
          f"{machine()}")
    print(table(found))
    for other in found[3:]:
        print(f"{other.label}: {other.cpu_best / plain.cpu_best:.2f}× plain")
    print(f"build_vs_plain_xlsxwriter={build.cpu_best / plain.cpu_best:.2f} workbooks={build.count} "
          f"build_s={build.best:.2f} peak_mb={fmt_peak(build.peak_mb)} "
          f"build_vs_own_calls={build.cpu_best / replay.cpu_best:.2f}")


def scaling(args) -> None:
    per = args.tasks_per_department
    print(f"scaling, {per} tasks per department; best CPU time of {args.repeat}; {machine()}")
    print(f"{'files':>7} {'tasks':>7}  {'cpu s':>8} {'ms/file':>8} {'µs/task':>8}  "
          f"{'plain cpu':>9} {'ratio':>6} {'calls cpu':>9} {'ratio':>6} {'peak MB':>7}"
          + ("  earlier cpu  ratio" if os.environ.get("XLFLOW_BENCH_AGAINST") else ""))
    per_task: list[float] = []
    ratio = 0.0
    for n in args.scale:
        with tempfile.TemporaryDirectory() as tmp:
            found, _ = prepare(tmp, n, per)
            interleave(found, args.repeat)
        build, plain, replay = found[:3]
        tasks = n * per
        per_task.append(build.cpu_best / tasks)
        ratio = build.cpu_best / plain.cpu_best
        earlier = "".join(f"  {m.cpu_best:11.3f} {m.cpu_best / plain.cpu_best:6.2f}"
                          for m in found[3:])
        print(f"{build.count:7d} {tasks:7d}  {build.cpu_best:8.3f} "
              f"{build.cpu_best / build.count * 1e3:8.2f} {build.cpu_best / tasks * 1e6:8.1f}  "
              f"{plain.cpu_best:9.3f} {ratio:6.2f} {replay.cpu_best:9.3f} "
              f"{build.cpu_best / replay.cpu_best:6.2f} "
              f"{fmt_peak(build.peak_mb):>7}{earlier}")
    print(f"per_task_largest_vs_smallest={per_task[-1] / per_task[0]:.2f} "
          f"build_vs_plain_at_largest={ratio:.2f} sizes={','.join(map(str, args.scale))}")


def main() -> None:
    args = size_args(__doc__, default_departments=50, default_tasks=200)
    scaling(args) if args.scale else one_size(args)


if __name__ == "__main__":
    main()
