"""Look inside an OpenDocument spreadsheet (.ods) before calamine reads it: the zip
limits and DTD refusal of `_package`, and, from one streaming pass over content.xml,
each table's extent (a repeated cell counts as many times as it repeats: one short
element can stand for a million cells), error cells, formulas without a value and
hidden rows.
"""

from __future__ import annotations

import zipfile
from pathlib import Path
from typing import IO, Any, BinaryIO

from ._package import Extent, SheetFacts, check_zip_limits, refuse_dtd, stream, zip_prolog

_TABLE = "{urn:oasis:names:tc:opendocument:xmlns:table:1.0}"
_OFFICE = "{urn:oasis:names:tc:opendocument:xmlns:office:1.0}"
_CALCEXT = "{urn:org:documentfoundation:names:experimental:calc:xmlns:calcext:1.0}"
_XML_PARTS = ("content.xml", "styles.xml", "meta.xml", "settings.xml", "META-INF/manifest.xml")
_CELLS = (f"{_TABLE}table-cell", f"{_TABLE}covered-table-cell")
_HIDDEN = ("collapsed", "filter")


class OdsPackage:
    """An .ods opened once; content.xml is scanned on the first question about a sheet."""

    eager = True  # calamine parses every table when it opens an .ods

    def __init__(self, source: Path | BinaryIO) -> None:
        self.zf = zipfile.ZipFile(source)
        try:
            check_zip_limits(self.zf)
            names = set(self.zf.namelist())
            for part in _XML_PARTS:
                if part in names:
                    refuse_dtd(part, zip_prolog(self.zf, part))
            self.macros = any(n.startswith(("Basic/", "Scripts/")) for n in names)
            self._tables: dict[str, tuple[Extent, SheetFacts]] | None = None
        except BaseException:
            self.zf.close()
            raise

    def __enter__(self) -> OdsPackage:
        return self

    def __exit__(self, *exc: object) -> None:
        self.zf.close()

    def sheet_names(self) -> list[str]:
        return list(self._scan())

    def extent(self, sheet: str) -> Extent | None:
        found = self._scan().get(sheet)
        return found[0] if found else None

    def sheet_facts(self, sheet: str) -> SheetFacts:
        found = self._scan().get(sheet)
        return found[1] if found else SheetFacts()

    def _scan(self) -> dict[str, tuple[Extent, SheetFacts]]:
        if self._tables is None:
            with self.zf.open("content.xml") as fh:
                self._tables = _scan_content(fh)
        return self._tables


def _scan_content(fh: IO[bytes]) -> dict[str, tuple[Extent, SheetFacts]]:
    tables: dict[str, tuple[Extent, SheetFacts]] = {}
    name, depth = "", 0
    row = rows = columns = 0
    facts = SheetFacts()
    for event, el in stream(fh, "table-row"):
        if el.tag == f"{_TABLE}table":
            if event == "start":
                depth += 1
                if depth == 1:
                    name, row, rows, columns, facts = el.get(f"{_TABLE}name", ""), 0, 0, 0, \
                        SheetFacts()
                continue
            depth -= 1
            if depth == 0:
                tables.setdefault(name, (Extent(rows, columns), facts))
                el.clear()
            continue
        if event != "end" or el.tag != f"{_TABLE}table-row" or depth != 1:
            continue
        repeat = _repeat(el, "number-rows-repeated")
        col, filled = 0, False
        for cell in el:
            if cell.tag not in _CELLS:
                continue
            span = _repeat(cell, "number-columns-repeated")
            if _has_value(cell):
                filled = True
                rows, columns = max(rows, row + repeat), max(columns, col + span)
                _note_cell(cell, (row, col), facts)
            col += span
        if filled and el.get(f"{_TABLE}visibility") in _HIDDEN:
            facts.hidden_rows.update(range(row, row + min(repeat, 1000)))
        row += repeat
    return tables


def _repeat(el: Any, attribute: str) -> int:
    text = el.get(f"{_TABLE}{attribute}", "1")
    return int(text) if text.isdigit() and int(text) > 0 else 1


def _has_value(cell: Any) -> bool:
    return bool(len(cell) or cell.get(f"{_OFFICE}value-type") or cell.get(f"{_TABLE}formula"))


def _note_cell(cell: Any, pos: tuple[int, int], facts: SheetFacts) -> None:
    formula = cell.get(f"{_TABLE}formula")
    if cell.get(f"{_CALCEXT}value-type") == "error":
        text = "".join(cell.itertext()).strip()
        facts.error_cells[pos] = text if text.startswith("#") else "#ERROR"
    elif formula and not cell.get(f"{_OFFICE}value-type"):
        facts.uncached_formulas[pos] = formula.split(":", 1)[-1] if formula.startswith(
            ("of:", "oooc:")) else formula
