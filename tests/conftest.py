from __future__ import annotations

import datetime as dt
import os
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner

from xlflow import api
from xlflow.simulate import record_filed

from . import imap_server

WEEK = "2024-W28"
AS_OF = dt.date(2024, 7, 12)
W29, AS_OF29 = "2024-W29", dt.date(2024, 7, 19)
BUILT_AT = dt.datetime(2024, 7, 8, 9, 0, tzinfo=dt.timezone(dt.timedelta(hours=8)))


@pytest.fixture(autouse=True)
def _chinese_output(monkeypatch: pytest.MonkeyPatch) -> None:
    """The CLI speaks what its users read by default, whatever this machine's locale:
    tests that check English set XLFLOW_LANG=en (or --lang en) themselves."""
    monkeypatch.setenv("XLFLOW_LANG", "zh")


@pytest.fixture
def runner() -> CliRunner:
    return CliRunner()


def file_example(root: Path) -> Path:
    """The example's consensus, approval and PMO备案, as the README walks them."""
    api.opinion(root, department="运营部", by="运营总监", text="同意,需提前准备活动物料")
    assert api.approve(root, by="分管副总 陈明", note="同意,按期推进").recorded
    assert api.file_project(root, by="PMO 王芳").recorded
    return root


def mark_filed(root: Path) -> Path:
    """Any project (a synthetic one that would not pass the approval checks) recorded as
    approved and filed, its plan baselined: for tests about what comes after filing."""
    return record_filed(root)


@pytest.fixture
def unfiled_project(tmp_path: Path) -> Path:
    """The seed's example project, freshly initialised: nothing approved or filed."""
    root = tmp_path / "ug"
    api.init_project(root, example=True)
    return root


@pytest.fixture
def project_dir(tmp_path: Path) -> Path:
    """The seed's example project, initialised, its plan approved and filed (PMO备案)."""
    root = tmp_path / "ug"
    api.init_project(root, example=True)
    return file_example(root)


@pytest.fixture
def built(project_dir: Path) -> api.BuildResult:
    return api.build(project_dir, week=WEEK, built_at=BUILT_AT)


def office_binary(name: str) -> str:
    """A real office suite; CI installs it (scripts/install-system-deps.sh), so there a
    missing binary fails the test instead of skipping it."""
    path = shutil.which(name)
    if path:
        return path
    if os.environ.get("CI"):
        pytest.fail(f"{name} is not installed; run scripts/install-system-deps.sh")
    pytest.skip(f"{name} not installed (make test installs it)")

SAMPLES = Path(__file__).parents[1] / "samples" / "user-growth"


def empty_inbox(root: Path) -> None:
    """The inbox's files filed away (a PMO moves the week's returns out once merged)."""
    for f in (root / "inbox").iterdir():
        f.unlink()


def w29_built(root: Path) -> Path:
    """after_w28_meeting, then W29 built and the inbox emptied: the state the PMO and the
    departments fill W29's files in."""
    after_w28_meeting(root)
    api.build(root, week=W29, built_at=BUILT_AT + dt.timedelta(days=7))
    empty_inbox(root)
    return root


def after_w28_meeting(root: Path) -> Path:
    """The filed example at `root` with the four sample returns merged for W28 and its
    周例会 written: where the weekly-meeting tests start."""
    api.init_project(root, example=True)
    file_example(root)
    api.build(root, week=WEEK, built_at=BUILT_AT)
    for f in (SAMPLES / "returns").glob("*.xlsx"):
        shutil.copy(f, root / "inbox" / f.name)
    api.merge(root, week=WEEK, as_of=AS_OF)
    api.meeting(root, week=WEEK, built_at=BUILT_AT, pdf=False)
    return root


@pytest.fixture
def with_samples(built: api.BuildResult) -> Path:
    """The example project with the four bundled sample returns in its inbox."""
    root = built.project.root
    for f in (SAMPLES / "returns").glob("*.xlsx"):
        shutil.copy(f, root / "inbox" / f.name)
    return root


def department_file(built: api.BuildResult, department: str, tmp_path: Path,
                    name: str | None = None) -> Path:
    """A fresh copy of a department's built workbook, to be filled in by a test."""
    target = tmp_path / (name or f"{department}.xlsx")
    shutil.copy(built.departments[department], target)
    return target


@pytest.fixture(scope="session")
def dovecot() -> Iterator[imap_server.Dovecot]:
    """A real IMAP server (Dovecot) on loopback ports for the whole session."""
    yield from imap_server.start_dovecot()


@pytest.fixture
def mailbox(dovecot: imap_server.Dovecot) -> imap_server.Mailbox:
    """A fresh, empty mailbox on the shared Dovecot: a new user per test."""
    return imap_server.Mailbox(dovecot, dovecot.new_user())


def identity_rows(wb) -> dict[str, object]:
    """`_xlflow` key -> the cell holding its value (openpyxl), to edit a file's identity."""
    return {row[0].value: row[1] for row in wb["_xlflow"].iter_rows(min_row=2)
            if row[0].value and row[0].value != "#tasks"}


def resign(path: Path, root: Path) -> Path:
    """Re-sign `path`'s `_xlflow` with project `root`'s key, as a build with that key
    would have: for tests that need an edited identity that still verifies."""
    import openpyxl

    from xlflow.contract import SIGNATURE_KEY, parse_identity
    from xlflow.signing import sign
    from xlflow.values import clean_text
    from xlflow.workspace import Workspace

    key = Workspace(root).key()
    assert key is not None

    wb = openpyxl.load_workbook(path)
    rows = [[clean_text(c) for c in row[:4]] for row in wb["_xlflow"].iter_rows(values_only=True)]
    fields, tasks = parse_identity(rows)
    identity_rows(wb)[SIGNATURE_KEY].value = sign(key, fields, tasks)
    wb.save(path)
    return path


from .mailserver import mail_server  # noqa: E402,F401  (a real SMTP server on loopback)
