"""`build` makes workbooks only for a week of the project's period: without --week it is
this week, which for a finished (or future) project is no week a department could fill."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from xlflow import api
from xlflow.cli import cli
from xlflow.errors import ProjectError

from .conftest import file_example


def test_a_week_outside_the_project_builds_nothing(tmp_path: Path) -> None:
    root = tmp_path / "ug"
    api.init_project(root, example=True)
    file_example(root)
    with pytest.raises(ProjectError, match="--week 2026-W48") as caught:
        api.build(root, week="2026-W48")
    assert "2024-07-01" in str(caught.value) and not (root / "outbox" / "2026-W48").exists()
    done = CliRunner().invoke(cli, ["build", str(root), "--week", "2023-W01"])
    assert done.exit_code == 2, done.output
    assert "不在项目周期" in done.output and not (root / "outbox" / "2023-W01").exists()
    # the week before the start (a kick-off week) and the last week of the late window build
    assert api.build(root, week="2024-W26").departments
    assert api.build(root, week="2024-W31").departments
