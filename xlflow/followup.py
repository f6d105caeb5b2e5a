"""The 周例会's two sheets as specs: 会议纪要 (the PMO's minutes) and 督办事项 (a
department's open action items in its weekly workbook).

They live in `workbook_specs/followup/`, apart from the department templates, so the
spec version and digest every weekly workbook records stay as they were.
"""

from __future__ import annotations

import functools
from pathlib import Path

from .spec import TemplateSpec, builtin_spec_dir, load_template

MINUTES = "minutes"
ACTIONS = "actions"
AGENDA_SHEET = "周例会议程"  # read by people only: the merge passes over it


@functools.cache
def followup_spec(key: str) -> TemplateSpec:
    """`minutes` or `actions`, loaded once."""
    return load_template(Path(builtin_spec_dir()) / "followup" / f"{key}.yaml")


def minutes_spec() -> TemplateSpec:
    return followup_spec(MINUTES)


def actions_spec() -> TemplateSpec:
    return followup_spec(ACTIONS)


def action_id(week: str, n: int) -> str:
    """An action item's id: the meeting's week and the row, 'DB-24W28-01' (督办)."""
    year, _, num = week.partition("-W")
    return f"DB-{year[2:]}W{num}-{n:02d}"
