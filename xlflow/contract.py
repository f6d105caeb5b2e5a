"""What the writer and the reader agree on: the sheets xlflow adds to a workbook and
the layout of the `_xlflow` identity sheet.

`_xlflow` holds key/value rows (A: key, B: value), then a `#tasks` row followed by one
row per task of the project (A: id, B: department, C: due date, D: milestone), so a
project of any size fits: no JSON in one cell, no length cut.

A department workbook's `signature` row is an HMAC over `signed_payload`: the fields
that say whose file it is and the task rows, as the reader reads them back
(`xlflow/signing.py` holds the key and computes it).
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

IDENTITY_SHEET = "_xlflow"
LISTS_SHEET = "_lists"
INSTRUCTIONS_SHEET = "填写说明"
TASKS_MARKER = "#tasks"
RISK_FORM_KIND = "risk"  # `kind` of the standalone 风险应对申请表 (the weekly workbook: department)
MASTER_KIND = "master"  # `kind` of the PMO master; its 风险应对 sheet is read back (signed)
MEETING_KIND = "meeting"  # `kind` of the 周例会 workbook the PMO fills (会议纪要) and returns
ADDED_SHEETS = frozenset({IDENTITY_SHEET, LISTS_SHEET, INSTRUCTIONS_SHEET})

TaskRow = tuple[str, str, str, str]  # id, department, due (ISO), milestone

SIGNATURE_KEY = "signature"
#: The identity fields a signature covers, in this order, then every task row.
SIGNED_FIELDS = ("project_id", "department", "week", "file_id", "spec_version")
SIGNATURE_SCHEME = "xlflow-identity-1"


def identity_rows(fields: Mapping[str, Any], tasks: Iterable[TaskRow] = ()) -> list[list[str]]:
    """The cells of the `_xlflow` sheet, row by row (a header row first)."""
    rows = [["key", "value"]] + [[k, str(v)] for k, v in fields.items()]
    task_rows = [list(t) for t in tasks]
    if task_rows:
        rows.append([TASKS_MARKER, str(len(task_rows))])
        rows.extend(task_rows)
    return rows


def parse_identity(rows: Sequence[Sequence[Any]]) -> tuple[dict[str, str], list[TaskRow]]:
    """Fields and task rows from the `_xlflow` sheet's cells (text already cleaned).

    Files built by xlflow 0.1 kept the task list as JSON under the key `tasks`."""
    fields: dict[str, str] = {}
    tasks: list[TaskRow] = []
    in_tasks = False
    for row in rows[1:]:
        cells = [str(c) if c is not None else "" for c in row]
        cells += [""] * (4 - len(cells))
        if not cells[0]:
            continue
        if cells[0] == TASKS_MARKER:
            in_tasks = True
        elif in_tasks:
            tasks.append((cells[0], cells[1], cells[2][:10], cells[3]))
        else:
            fields[cells[0]] = cells[1]
    if not tasks and fields.get("tasks"):
        try:
            tasks = [(t[0], t[1], t[2], t[3]) for t in json.loads(fields["tasks"])]
        except (ValueError, IndexError, TypeError):
            tasks = []  # a cut or edited list: validation then names the tasks it lacks
    fields.pop("tasks", None)
    return fields, tasks


def department_list(fields: Mapping[str, str]) -> tuple[str, ...]:
    try:
        names = json.loads(fields.get("departments") or "[]")
    except ValueError:
        return ()
    return tuple(str(n) for n in names) if isinstance(names, list) else ()


def signed_payload(fields: Mapping[str, str], tasks: Sequence[Sequence[str]]) -> bytes:
    """The canonical bytes a file's signature covers: the scheme, the SIGNED_FIELDS and
    the task rows, as compact UTF-8 JSON. Takes the values as `parse_identity` returns
    them, so writer and reader serialise the same text."""
    head = [SIGNATURE_SCHEME, *(str(fields.get(k, "")) for k in SIGNED_FIELDS)]
    rows = [[str(c) for c in t] for t in tasks]
    return json.dumps([head, rows], ensure_ascii=False, separators=(",", ":")).encode("utf-8")
