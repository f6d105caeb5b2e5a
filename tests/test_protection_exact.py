"""Exactly the cells a department must fill are unlocked, and nothing else: in every sheet
of every file it gets, no header, pre-filled or identity cell, no row or column format
and no cell beside or below the tables and their form fields. Checked on the files as
built and as LibreOffice saves them again (how build writes the input cells is free to
change; what a department can type into is not)."""

from __future__ import annotations

from pathlib import Path

import openpyxl
import pytest
from openpyxl.utils import get_column_letter

from xlflow import api
from xlflow.spec import SpecSet

from .office import soffice_convert

READ_ONLY = {"职责分工表"}  # a department's copy of the plan: nothing to fill in


def _must_fill(ws, specs: SpecSet) -> set[str]:
    """The input cells of a table sheet: the editable columns of each pre-filled row (its
    first column, an id, is never empty), and the value cells (B:C, merged) of the form
    fields below the table."""
    spec = next((s for s in specs if s.sheet == ws.title), None)
    if spec is None or ws.title in READ_ONLY:
        return set()
    assert [str(c.value).split("\n")[0].rstrip(" *") for c in ws[1]][:len(spec.columns)] == \
        [c.zh for c in spec.columns], ws.title
    out = set()
    row = 2
    while ws.cell(row, 1).value not in (None, ""):
        out |= {f"{get_column_letter(c)}{row}" for c, column in enumerate(spec.columns, start=1)
                if column.editable}
        row += 1
    labels = {f.zh for f in spec.fields} | {f"{f.zh} *" for f in spec.fields}
    for r in range(row, ws.max_row + 1):
        if ws.cell(r, 1).value in labels:
            out |= {f"B{r}", f"C{r}"}
    return out


def _unlocked(ws) -> set[str]:
    # one row and column past the used area: what lies beside and below must be locked too
    cells = ws.iter_rows(min_row=1, max_row=ws.max_row + 1, max_col=ws.max_column + 1)
    return {c.coordinate for row in cells for c in row if not c.protection.locked}


def _check(path: Path, specs: SpecSet) -> dict[str, int]:
    wb = openpyxl.load_workbook(path)
    counts = {}
    for ws in wb.worksheets:
        assert ws.protection.sheet, (path.name, ws.title)
        assert [k for k, d in ws.column_dimensions.items() if not d.protection.locked] == [], \
            (path.name, ws.title)
        assert [k for k, d in ws.row_dimensions.items() if not d.protection.locked] == [], \
            (path.name, ws.title)
        expected = _must_fill(ws, specs)
        assert _unlocked(ws) == expected, (path.name, ws.title)
        counts[ws.title] = len(expected)
    return counts


def _department_files(built: api.BuildResult) -> list[Path]:
    return [built.departments["技术部"], built.risk_forms["技术部"]]


def test_exactly_the_input_cells_are_unlocked(built: api.BuildResult) -> None:
    specs = built.project.specs()
    weekly, form = (_check(p, specs) for p in _department_files(built))
    tasks, columns = len(built.project.tasks_of("技术部")), specs["weekly"].columns
    assert weekly["周进度跟踪表"] == tasks * sum(c.editable for c in columns) + 2 * 2  # + 填报人/日期
    assert weekly["职责分工表"] == weekly["填写说明"] == weekly["_xlflow"] == 0
    assert weekly["风险应对申请表"] == specs["risks"].blank_rows * sum(
        c.editable for c in specs["risks"].columns)
    assert form["风险应对申请表"] > 0 and form["填写说明"] == 0


@pytest.mark.office
def test_libreoffice_keeps_exactly_the_input_cells_unlocked(built: api.BuildResult,
                                                             tmp_path: Path) -> None:
    specs = built.project.specs()
    for path in _department_files(built):
        resaved = soffice_convert(path, tmp_path / path.stem)
        assert _check(resaved, specs) == _check(path, specs), path.name
