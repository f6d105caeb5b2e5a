"""Time `xlflow build` against writing the same cells with plain XlsxWriter.

    python benchmarks/bench_build.py [--departments 200 --tasks 500]

Both are measured in this run on this machine; the ratio is what matters (aim <= 1.5).
Last line: build_vs_plain_xlsxwriter=X.XX workbooks=N peak_mb=M
"""

from __future__ import annotations

import sys
import tempfile
import time
from pathlib import Path

import xlsxwriter
from python_calamine import CalamineWorkbook

sys.path.insert(0, str(Path(__file__).parent))
from _synthetic import WEEK, peak_mb, size_args, write_project

from xlflow import api


def read_cells(path: Path) -> list[tuple[str, list[list[object]]]]:
    book = CalamineWorkbook.from_path(str(path))
    return [(name, book.get_sheet_by_name(name).to_python()) for name in book.sheet_names]


def write_plain(path: Path, sheets: list[tuple[str, list[list[object]]]]) -> None:
    wb = xlsxwriter.Workbook(str(path), {"strings_to_formulas": False})
    for name, rows in sheets:
        ws = wb.add_worksheet(name)
        for r, row in enumerate(rows):
            ws.write_row(r, 0, row)
    wb.close()


def main() -> None:
    args = size_args(__doc__)
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp) / "bench"
        write_project(root, args.departments, args.tasks)
        plain_dir = Path(tmp) / "plain"
        plain_dir.mkdir()
        result = api.build(root, week=WEEK)  # warm-up, and the cells to copy
        files = [*result.departments.values(), result.master]
        cells = [read_cells(p) for p in files]  # not timed: the same cells, exactly
        build_s = plain_s = float("inf")
        for _ in range(args.repeat):  # interleaved, so both see the same machine state
            start = time.perf_counter()
            api.build(root, week=WEEK)
            build_s = min(build_s, time.perf_counter() - start)
            start = time.perf_counter()
            for n, sheets in enumerate(cells):
                write_plain(plain_dir / f"{n}.xlsx", sheets)
            plain_s = min(plain_s, time.perf_counter() - start)
        n_cells = sum(len(r) for sheets in cells for _, rows in sheets for r in rows)
        print(f"build (formatted, validated, protected): {build_s:.2f} s for {len(files)} "
              f"workbooks, {n_cells} cells")
        print(f"plain XlsxWriter, same cells:            {plain_s:.2f} s")
        print(f"build_vs_plain_xlsxwriter={build_s / plain_s:.2f} workbooks={len(files)} "
              f"peak_mb={peak_mb():.0f}")


if __name__ == "__main__":
    main()
