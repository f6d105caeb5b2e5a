"""What an inbox file says it is, from its `_xlflow` sheet alone: for `build`, which
looks for the 周例会 minutes among the week's returns and must not pay a merge's read
(every template sheet, every cell checked) for each of them.

Only the identity sheet is loaded (its extent checked first, as the reader does); an
.ods or .xls, which calamine loads whole, only when every sheet is within the limits.
Whatever cannot be told this cheaply is `None`: the caller reads that file in full, so
nothing is missed that the reader would have found.
"""

from __future__ import annotations

import io
import zipfile
from pathlib import Path

from python_calamine import CalamineWorkbook

from .._package import MAX_UNCOMPRESSED, check_zip_limits
from .._sniff import Kind, sniff
from ..contract import IDENTITY_SHEET
from .read import _PACKAGES, _read_identity


def identity_kinds(path: Path) -> set[str] | None:
    """The `kind` each workbook in `path` states (one for a workbook, one per member for
    a zip; "" for a file without an identity); None when it cannot be told cheaply."""
    try:
        size = path.stat().st_size
        if not 0 < size <= MAX_UNCOMPRESSED:
            return {""}  # empty or too large: the reader refuses it, it holds no minutes
        sniffed = sniff(path)
        if sniffed.kind is not Kind.ARCHIVE:
            kind = _kind(path, sniffed.kind)
            return None if kind is None else {kind}
        kinds: set[str] = set()
        with zipfile.ZipFile(path) as zf:
            check_zip_limits(zf)
            for info in zf.infolist():
                if info.is_dir() or info.flag_bits & 0x1:
                    continue
                data = zf.read(info)
                kind = _kind(io.BytesIO(data), sniff(data).kind)
                if kind is None:
                    return None
                kinds.add(kind)
        return kinds
    except (KeyboardInterrupt, SystemExit, GeneratorExit):
        raise
    except BaseException:  # the reader says what is wrong with it, in full
        return None


def _kind(source: Path | io.BytesIO, kind: Kind) -> str | None:
    if kind is Kind.OTHER:
        return ""
    if kind is Kind.ARCHIVE:
        return None  # a zip in a zip: the reader refuses it and says why
    with _PACKAGES[kind](source) as package:
        extent = package.extent(IDENTITY_SHEET)
        if extent is None:
            return ""
        sheets = package.sheet_names() if package.eager else [IDENTITY_SHEET]
        for sheet in sheets:
            found = package.extent(sheet)
            if found is not None and found.too_large(template=sheet == IDENTITY_SHEET):
                return None
    if isinstance(source, io.BytesIO):
        source.seek(0)
        book = CalamineWorkbook.from_filelike(source)
    else:
        with open(source, "rb") as fh:
            book = CalamineWorkbook.from_filelike(fh)
    try:
        if IDENTITY_SHEET not in book.sheet_names:
            return ""
        fields, _ = _read_identity(book)
        return fields.get("kind", "")
    finally:
        book.close()
