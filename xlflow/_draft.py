"""草稿: workbooks written before PMO备案 with `--draft` say so on every sheet.

A context flag rather than a parameter threaded through every writer: `page_setup`
(xlflow/styles.py), which every visible sheet goes through, reads it and puts 草稿 in the
sheet's page header and footer and a red 草稿 box over the sheet's top right corner.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from contextvars import ContextVar
from typing import Any

DRAFT = "草稿"
DRAFT_NOTE = "草稿:方案尚未 PMO 备案,仅供讨论"
_drafting: ContextVar[bool] = ContextVar("xlflow_draft", default=False)


@contextlib.contextmanager
def drafting(on: bool = True) -> Iterator[None]:
    """Everything written inside is marked 草稿 (when `on`)."""
    token = _drafting.set(on)
    try:
        yield
    finally:
        _drafting.reset(token)


def is_draft() -> bool:
    return _drafting.get()


def mark_sheet(ws: Any) -> None:
    """A red 草稿 box floating over the top right of the sheet: on screen and on paper,
    without moving any cell (streamed sheets cannot go back to row 1)."""
    ws.insert_textbox(0, 3, DRAFT_NOTE, {
        "width": 300, "height": 36, "x_offset": 4, "y_offset": 2, "object_position": 3,
        "font": {"bold": True, "color": "#C00000", "size": 14, "name": "等线"},
        "align": {"vertical": "middle", "horizontal": "center"},
        "border": {"color": "#C00000", "width": 2},
        "fill": {"color": "#FFF2CC"},
    })
