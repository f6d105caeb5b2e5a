"""A generated workbook survives a round trip through real LibreOffice Calc."""

from __future__ import annotations

from pathlib import Path

import openpyxl
import pytest

from xlflow import api

from .office import soffice_convert

pytestmark = pytest.mark.office


def test_libreoffice_keeps_validations_identity_and_data(built: api.BuildResult,
                                                         tmp_path: Path) -> None:
    src = built.departments["技术部"]
    resaved = soffice_convert(src, tmp_path / "lo")
    before, after = openpyxl.load_workbook(src), openpyxl.load_workbook(resaved)
    assert after.sheetnames[:5] == before.sheetnames[:5]
    # LibreOffice has no "very hidden": it writes "hidden"; the sheet is still there.
    assert after["_xlflow"].sheet_state in ("hidden", "veryHidden")
    assert list(after["_xlflow"].values) == list(before["_xlflow"].values)
    for name in ("职责分工表", "周进度跟踪表", "成果验收确认单"):
        assert list(after[name].values) == list(before[name].values), name

    def number_or_text(formula):
        try:
            return round(float(formula), 6)
        except (TypeError, ValueError):
            return formula

    def rules(ws):
        return sorted((dv.type, str(dv.sqref), str(number_or_text(dv.formula1)),
                       # LibreOffice writes formula2=0 on one-operand rules
                       str(number_or_text(dv.formula2)) if dv.type in ("whole", "decimal", "date")
                       and (dv.operator or "between") == "between" else "")
                      for dv in ws.data_validations.dataValidation)

    for name in ("周进度跟踪表", "风险应对申请表", "成果验收确认单"):
        assert rules(after[name]) == rules(before[name]), name
    ws = after["周进度跟踪表"]
    assert ws.protection.sheet and ws["A2"].protection.locked and not ws["E2"].protection.locked
    # (headless LibreOffice has no view, so it drops freeze panes: not checked here)
