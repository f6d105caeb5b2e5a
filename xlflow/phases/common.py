"""Small things every phase needs: the week a command is about."""

from __future__ import annotations

import datetime as dt

from ..errors import ProjectError
from ..weeks import normalise_week, week_label


def resolve_week(week: str | None, as_of: dt.date | None = None) -> str:
    """--week as given (normalised), else the ISO week of the as-of date or today."""
    if week:
        try:
            return normalise_week(week)
        except ValueError as exc:
            raise ProjectError(f"--week: {exc}") from None
    return week_label(as_of or dt.date.today())
