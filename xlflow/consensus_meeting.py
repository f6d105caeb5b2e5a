"""The 需求沟通会 behind the 需求共识纪要: its date and attendees as `xlflow opinion`
records them, laid over project.yaml's `consensus:` block (the latest recorded wins)."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import replace
from typing import Any

from .project import Project


def split_names(text: str) -> tuple[str, ...]:
    """'王晓、李娜, 刘强' -> ('王晓', '李娜', '刘强')."""
    return tuple(t.strip() for t in re.split(r"[、,，;；]", text) if t.strip())


def meeting_data(attendees: Sequence[str], date: dt.date | None) -> dict[str, Any]:
    """What an opinion event keeps about the meeting (nothing when not given)."""
    out: dict[str, Any] = {}
    names = [n for a in attendees for n in split_names(a)]
    if names:
        out["attendees"] = names
    if date is not None:
        out["date"] = date.isoformat()
    return out


def with_meeting(project: Project, recorded: Iterable[Mapping[str, Any]]) -> Project:
    """The project with the latest recorded meeting date and attendees in `consensus`."""
    consensus = project.consensus
    for data in recorded:
        if data.get("attendees"):
            consensus = replace(consensus, attendees=tuple(data["attendees"]))
        if data.get("date"):
            consensus = replace(consensus, date=dt.date.fromisoformat(data["date"]))
    return project if consensus == project.consensus else replace(project, consensus=consensus)
