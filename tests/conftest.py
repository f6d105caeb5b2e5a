from __future__ import annotations

import datetime as dt
import os
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner

from xlflow import api

WEEK = "2024-W28"
AS_OF = dt.date(2024, 7, 12)
BUILT_AT = dt.datetime(2024, 7, 8, 9, 0, tzinfo=dt.timezone(dt.timedelta(hours=8)))


@pytest.fixture(autouse=True)
def _chinese_output(monkeypatch: pytest.MonkeyPatch) -> None:
    """The CLI speaks what its users read by default, whatever this machine's locale:
    tests that check English set XLFLOW_LANG=en (or --lang en) themselves."""
    monkeypatch.setenv("XLFLOW_LANG", "zh")


@pytest.fixture
def runner() -> CliRunner:
    return CliRunner()


@pytest.fixture
def project_dir(tmp_path: Path) -> Path:
    """The seed's example project, freshly initialised."""
    root = tmp_path / "ug"
    api.init_project(root, example=True)
    return root


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


from .mailserver import mail_server  # noqa: E402,F401  (a real SMTP server on loopback)
