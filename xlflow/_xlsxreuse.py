"""XlsxWriter work done once per distinct format, data validation or style sheet, then
reused.

`build` writes the same ~20 formats and ~30 validations into every department's workbook
and risk form. XlsxWriter parses a format's properties (colours included) for each
workbook, checks and renders each validation for each sheet, and writes the same
xl/styles.xml for each workbook; for a small workbook that was more than writing its
cells (#14). Here a format is parsed once and copied, a validation is checked and
rendered once by XlsxWriter itself, its XML kept and written again with the new range,
and a style sheet is written once per distinct set of formats (`styles_xml`). The files
are byte for byte the ones XlsxWriter writes without this (tests/test_sheetxml.py builds
every workbook both ways).
"""

from __future__ import annotations

import weakref
from collections.abc import Callable
from typing import Any

from xlsxwriter.format import Format
from xlsxwriter.utility import xl_range

_LIMIT = 4096  # entries per cache: a project's distinct formats and validations fit
_FORMATS: dict[tuple[Any, ...], Format] = {}
_VALIDATIONS: dict[tuple[Any, ...], tuple[str, str]] = {}
_STYLES: dict[tuple[Any, ...], str] = {}
_STYLES_LIMIT = 64
_SQREF = ' sqref="A1"'  # the range a validation is rendered with, replaced when written


def supported(obj: Any) -> bool:
    """The workbook or worksheet has the XlsxWriter internals used here."""
    return all(hasattr(obj, name) for name in (
        ("default_format_properties", "xf_format_indices", "dxf_format_indices", "formats")
        if hasattr(obj, "add_format") else
        ("validations", "fh", "date_1904", "_write_data_validation", "_check_dimensions")))


def _key(options: dict[str, Any]) -> tuple[Any, ...]:
    return tuple((k, tuple(v) if v.__class__ is list else v) for k, v in options.items())


def add_format(wb: Any, properties: dict[str, Any]) -> Format:
    """wb.add_format(properties), the properties parsed and keyed once per build. The
    format is not to be changed afterwards (set_*): its key would not follow."""
    if not supported(wb):
        return wb.add_format(properties)
    key = (tuple(wb.default_format_properties.items()), tuple(properties.items()))
    try:
        model = _FORMATS.get(key)
    except TypeError:  # a property XlsxWriter takes as a list or dict: not kept
        return wb.add_format(properties)
    if model is None:
        if len(_FORMATS) >= _LIMIT:
            _FORMATS.clear()
        model = _FORMATS[key] = Format({**wb.default_format_properties, **properties})
        model._get_format_key()  # computed once, copied: xlflow never changes a format made
    made = Format.__new__(Format)
    made.__dict__.update(model.__dict__)  # colours are shared: XlsxWriter only reads them
    made.xf_format_indices, made.dxf_format_indices = wb.xf_format_indices, wb.dxf_format_indices
    wb.formats.append(made)
    return made


def add_validation(ws: Any, first_row: int, first_col: int, last_row: int, last_col: int,
                   options: dict[str, Any]) -> None:
    """ws.data_validation(...) for one range, checked and rendered once per build."""
    if not supported(ws) or "other_cells" in options or "multi_range" in options:
        ws.data_validation(first_row, first_col, last_row, last_col, options)
        return
    key = (ws.date_1904, _key(options))
    parts = _VALIDATIONS.get(key)
    if parts is None:
        if ws.data_validation(first_row, first_col, last_row, last_col, options) != 0:
            return  # out of range, or options XlsxWriter refused (it warned)
        parts = _render(ws, ws.validations.pop())
        if len(_VALIDATIONS) >= _LIMIT:
            _VALIDATIONS.clear()
        _VALIDATIONS[key] = parts
    elif ws._check_dimensions(first_row, first_col, True, True) or \
            ws._check_dimensions(last_row, last_col, True, True):
        return  # out of the sheet: XlsxWriter would refuse it (-1) without a word
    if "_write_data_validation" not in ws.__dict__:
        ws._write_data_validation = _writer(ws)
    ws.validations.append(_Rendered(parts, xl_range(first_row, first_col, last_row, last_col)))


class _Rendered:
    """A validation in ws.validations as its XML, around the range it applies to."""

    __slots__ = ("parts", "sqref")

    def __init__(self, parts: tuple[str, str], sqref: str) -> None:
        self.parts, self.sqref = parts, sqref


def _render(ws: Any, options: dict[str, Any]) -> tuple[str, str]:
    """The <dataValidation> element XlsxWriter writes for `options`, split where its
    range goes (an attribute value never holds a raw quote, so the split is unique)."""
    import io

    out, saved = io.StringIO(), ws.fh
    ws.fh = out
    try:
        ws._write_data_validation({**options, "cells": [[0, 0, 0, 0]]})
    finally:
        ws.fh = saved
    before, found, after = out.getvalue().partition(_SQREF)
    assert found, "XlsxWriter wrote a validation without its range"
    return before + ' sqref="', '"' + after


def _writer(ws: Any) -> Any:
    """The sheet's _write_data_validation, writing a _Rendered one as kept. It holds the
    sheet weakly: the sheet holds it, and a cycle would keep every workbook of a build
    alive until a full collection (a build pauses them)."""
    sheet: Callable[[], Any] = weakref.ref(ws)
    original = type(ws)._write_data_validation

    def write(options: Any) -> None:
        ws = sheet()
        if options.__class__ is _Rendered:
            before, after = options.parts
            ws.fh.write(f"{before}{options.sqref}{after}")
        else:
            original(ws, options)
    return write


# a format's attributes that are the workbook's, not the format's (its index tables)
_WORKBOOKS_OWN = {"xf_format_indices": None, "dxf_format_indices": None}


def _states(formats: list[Format]) -> tuple[Any, ...]:
    return tuple(tuple({**f.__dict__, **_WORKBOOKS_OWN}.items()) for f in formats)


def styles_key(wb: Any) -> tuple[Any, ...] | None:
    """Everything XlsxWriter's xl/styles.xml is written from (what its Packager hands
    the Styles writer: the formats, whole, and the workbook's counts and colours), or
    None where that cannot be a key. Colours compare by identity: copies of one format
    (`add_format`) share theirs."""
    if not supported(wb):
        return None
    try:
        key = (_states(wb.xf_formats), _states(wb.dxf_formats), tuple(wb.palette),
               wb.font_count, tuple(wb.num_formats), wb.border_count, wb.fill_count,
               tuple(wb.custom_colors), wb.has_comments)
        hash(key)
    except (TypeError, AttributeError):  # a list or dict among them: not kept
        return None
    return key


def styles_xml(key: tuple[Any, ...] | None) -> str | None:
    """The style sheet written before for `key` (styles_key), if any."""
    return _STYLES.get(key) if key is not None else None


def keep_styles_xml(key: tuple[Any, ...] | None, xml: str) -> None:
    if key is not None:
        if len(_STYLES) >= _STYLES_LIMIT:
            _STYLES.clear()
        _STYLES[key] = xml
