"""The README is true: its commands exist, its quick start is what CI runs, the demo runs."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from xlflow.cli import cli

ROOT = Path(__file__).parents[1]
README = (ROOT / "README.md").read_text(encoding="utf-8")


@pytest.mark.parametrize("name", sorted(cli.commands))
def test_every_command_is_documented_with_an_example(name: str) -> None:
    assert f"### `xlflow {name}" in README
    assert re.search(rf"^xlflow {name} ", README, re.MULTILINE)


def test_quick_start_is_two_make_commands_and_ci_runs_the_test_one() -> None:
    quick = README.split("## Quick start", 1)[1].split("```sh", 1)[1].split("```", 1)[0]
    assert [line.split("#")[0].strip() for line in quick.strip().splitlines()] == [
        "make demo", "make test"]
    ci = (ROOT / ".ci" / "run").read_text()
    assert "make test" in ci.splitlines()[-1]


def test_exit_codes_documented() -> None:
    from xlflow.errors import ExitStatus

    for status in ExitStatus:
        assert f"| {int(status)} |" in README


def test_demo_script_runs_build_and_merge(tmp_path: Path) -> None:
    env = {**os.environ, "XLFLOW": str(Path(sys.executable).parent / "xlflow")}
    out = subprocess.run(["bash", "scripts/demo.sh", str(tmp_path / "demo")], cwd=ROOT,
                         env=env, capture_output=True, text=True, timeout=300)
    assert out.returncode == 0, out.stderr
    assert "files read: 4 (4 accepted)" in out.stdout
    assert f"consolidated report:  {tmp_path / 'demo'}/reports/2024-W28-consolidated.xlsx" \
        in out.stdout
    assert (tmp_path / "demo" / "reports" / "2024-W28-consolidated.xlsx").is_file()


def test_samples_project_is_the_example() -> None:
    sample = ROOT / "samples" / "user-growth" / "project.yaml"
    example = ROOT / "xlflow" / "examples" / "user-growth.yaml"
    assert sample.read_text(encoding="utf-8") == example.read_text(encoding="utf-8")


def test_sample_returns_match_the_current_specs() -> None:
    """If this fails, the specs changed: run `python samples/make_returns.py`."""
    from xlflow.merge.read import read_returned
    from xlflow.spec import load_specs

    specs = load_specs()
    for path in sorted((ROOT / "samples" / "user-growth" / "returns").glob("*.xlsx")):
        ident = read_returned(path, specs).identity
        assert (ident["spec_version"], ident["spec_digest"]) == (specs.version, specs.digest), path
