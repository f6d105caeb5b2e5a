"""验收结论 of 成果验收确认单: 验收日期, 验收结论 (通过/有条件通过/不通过), 遗留问题,
整改期限 and 分管领导意见, from the form `xlflow accept` wrote (filled in at the
acceptance meeting) and from `accept`'s options (which win), checked once.

The form's block is found by its labels in column A, the value in column B, as the
department workbooks' blocks are; an Issue names the form's cell (or the option)."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from python_calamine import CalamineError, CalamineWorkbook

from ..issues import Issue, error, warning
from ..model.conclusion import DATES, FIELDS, SHEET, Conclusion
from ..model.vocab import Verdict
from ..values import clean_text, is_blank, parse_datetime


def read_form(path: Path) -> tuple[dict[str, Any], dict[str, str]]:
    """The block's raw values and their cells, from the form a previous `accept` wrote
    (nothing when there is none, or it cannot be read: the form is rewritten anyway)."""
    if not path.is_file():
        return {}, {}
    try:
        book = CalamineWorkbook.from_path(str(path))
        rows = book.get_sheet_by_name(SHEET).to_python(skip_empty_area=False)
    except (CalamineError, OSError, ValueError, KeyError):
        return {}, {}
    by_label = {label: key for key, (label, _) in FIELDS.items()}
    raw: dict[str, Any] = {}
    cells: dict[str, str] = {}
    for r, row in enumerate(rows):
        if not row or not isinstance(row[0], str):
            continue
        key = by_label.get(clean_text(row[0]).rstrip(" *:：").strip())
        if key is None or key in raw:
            continue
        raw[key] = row[1] if len(row) > 1 else None
        cells[key] = f"B{r + 1}"
    return raw, cells


def conclude(form: Path, options: dict[str, Any], *, leader: str,
             year: int, last: Mapping[str, Any] | None = None) -> Conclusion:
    """The conclusion from the form, each option given replacing the form's value;
    every value checked, naming the form's cell (or the option) on a problem. A value
    typed on the form (not the one the `last` run wrote) that an option replaces is
    named (`form-overridden`)."""
    raw, cells = read_form(form)
    given = {k for k, v in options.items() if v not in (None, "")}
    overridden = _overridden(form, raw, cells, options, given, last or {}, year)
    raw.update({k: options[k] for k in given})
    out = Conclusion(leader=leader, issues=overridden)
    for key in FIELDS:
        if key in given:
            out.where[key] = FIELDS[key][1]
        elif key in cells:
            out.where[key] = f"{SHEET}!{cells[key]}"

    flagged: set[str] = set()

    def problem(code: str, key: str, message: str, value: Any = "", expected: str = "") -> None:
        flagged.add(key)
        label, option = FIELDS[key]
        if key not in given and key in cells:
            loc = {"file": form.name, "sheet": SHEET, "cell": cells[key]}
            at = f"{form.name} / {SHEET} / {cells[key]}"
        else:
            loc, at = {}, option
        out.issues.append(error(code, f"{label}({at}):{message}", value=str(value),
                                expected=expected, **loc))

    for key in DATES:
        value = raw.get(key)
        if is_blank(value):
            continue
        try:
            setattr(out, key, parse_datetime(value, year=year).date())
        except (ValueError, TypeError):
            problem("bad-date", key, "不是日期", value, "日期 YYYY-MM-DD,如 2024-07-31")
    verdict = raw.get("verdict")
    if not is_blank(verdict):
        text = clean_text(verdict)
        try:
            out.verdict = Verdict(text)
        except ValueError:
            problem("not-in-list", "verdict", "不是可选的结论", text,
                    "其中之一:" + "、".join(Verdict))
    for key in ("open_items", "leader_opinion"):
        setattr(out, key, "" if is_blank(raw.get(key)) else clean_text(raw[key]))
    if out.verdict is Verdict.CONDITIONAL:
        for key in ("open_items", "fix_by"):
            if not getattr(out, key) and key not in flagged:
                label = FIELDS[key][0]
                problem("conclusion-incomplete", key, f"验收结论为有条件通过,必须写明{label}",
                        expected=f"{label}" + ("(日期,如 2024-08-15)" if key == "fix_by" else ""))
    return out


def _overridden(form: Path, raw: Mapping[str, Any], cells: Mapping[str, str],
                options: Mapping[str, Any], given: set[str], last: Mapping[str, Any],
                year: int) -> list[Issue]:
    out = []
    for key in sorted(given & set(cells), key=list(FIELDS).index):
        typed = _norm(key, raw.get(key), year)
        option = _norm(key, options[key], year)
        if not typed or typed == option or typed == _norm(key, last.get(key), year):
            continue
        label, flag = FIELDS[key]
        out.append(warning("form-overridden", f"成果验收确认单 {cells[key]} 填写的{label}「{typed}」"
                           f"与命令行 {flag}「{option}」不同;按命令行记录,确认单中的内容被替换",
                           value=typed, expected=option, file=form.name, sheet=SHEET,
                           cell=cells[key]))
    return out


def _norm(key: str, value: Any, year: int) -> str:
    """A value as compared: dates as YYYY-MM-DD, text cleaned."""
    if is_blank(value):
        return ""
    if key in DATES:
        try:
            return parse_datetime(value, year=year).date().isoformat()
        except (ValueError, TypeError):
            pass
    return clean_text(value)
