"""Golden workbooks: the bundled sample built and merged with fixed times, each zip part
normalised (timestamps and random ids stripped, XML pretty-printed) so that a change to
what xlflow writes shows as a readable diff under tests/golden/.

Regenerate after an intended change with `make golden` (python -m tests.golden) and
review the diff before committing it.
"""

from __future__ import annotations

import datetime as dt
import os
import re
import shutil
import sys
import tempfile
import zipfile
from pathlib import Path
from xml.dom import minidom

from xlflow import __version__, api

ROOT = Path(__file__).parent
GOLDEN = ROOT / "golden"
SAMPLES = ROOT.parent / "samples" / "user-growth"
WEEK = "2024-W28"
AS_OF = dt.date(2024, 7, 12)
ZONE = dt.timezone(dt.timedelta(hours=8))
BUILT_AT = dt.datetime(2024, 7, 8, 9, 0, tzinfo=ZONE)
RUN_AT = dt.datetime(2024, 7, 12, 9, 30, tzinfo=ZONE)
# the returns' file times, read back as local times: the same wall-clock time anywhere
RECEIVED = dt.datetime(2024, 7, 12, 8, 0).timestamp()

_CORE_TIMES = re.compile(r"<dcterms:(created|modified)\b[^>]*>[^<]*</dcterms:\1>")
_FILE_ID = re.compile(r"(?<![0-9a-f])[0-9a-f]{32}(?![0-9a-f])")  # uuid4().hex, not sha256


def make_sample(directory: Path) -> dict[str, Path]:
    """The workbooks under test, made through the public API from the bundled sample."""
    root = directory / "ug"
    api.init_project(root, example=True)
    api.opinion(root, department="运营部", by="运营总监", text="同意,需提前准备活动物料")
    api.approve(root, by="分管副总 陈明", note="同意,按期推进")
    api.file_project(root, by="PMO 王芳")
    built = api.build(root, week=WEEK, built_at=BUILT_AT)
    for f in sorted((SAMPLES / "returns").glob("*.xlsx")):
        target = root / "inbox" / f.name
        shutil.copyfile(f, target)
        os.utime(target, (RECEIVED, RECEIVED))
    report = api.merge(root, week=WEEK, as_of=AS_OF, run_at=RUN_AT)
    return {"department-TEC": built.departments["技术部"],
            "consolidated": Path(report.report_path)}


def normalise(path: Path) -> dict[str, str]:
    """Each zip part as text: volatile values replaced, XML pretty-printed."""
    parts: dict[str, str] = {}
    with zipfile.ZipFile(path) as z:
        for name in sorted(z.namelist()):
            data = z.read(name)
            if not name.endswith((".xml", ".rels")):
                parts[name] = f"binary part, {len(data)} bytes\n"
                continue
            text = data.decode("utf-8")
            if name == "docProps/core.xml":
                text = _CORE_TIMES.sub("", text)
            if name == "xl/sharedStrings.xml":
                text = _FILE_ID.sub("FILE-ID", text)
                text = text.replace(f"<t>{__version__}</t>", "<t>XLFLOW-VERSION</t>")
            parts[name] = minidom.parseString(text).toprettyxml(indent="  ")
    return parts


def part_file(workbook: str, part: str) -> Path:
    return GOLDEN / workbook / part


def stored(workbook: str) -> dict[str, str]:
    base = GOLDEN / workbook
    return {p.relative_to(base).as_posix(): p.read_text(encoding="utf-8")
            for p in sorted(base.rglob("*")) if p.is_file()}


def regenerate() -> list[Path]:
    """Rewrite tests/golden/ from the current code."""
    written = []
    with tempfile.TemporaryDirectory() as tmp:
        for workbook, path in make_sample(Path(tmp)).items():
            shutil.rmtree(GOLDEN / workbook, ignore_errors=True)
            for part, text in normalise(path).items():
                target = part_file(workbook, part)
                target.parent.mkdir(parents=True, exist_ok=True)
                with open(target, "w", encoding="utf-8", newline="\n") as f:
                    f.write(text)
                written.append(target)
    return written


if __name__ == "__main__":
    files = regenerate()
    sys.stdout.write(f"wrote {len(files)} golden parts under {GOLDEN}\n")
