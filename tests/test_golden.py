"""Golden files: the sample's 技术部 workbook and consolidated report, part by part, against
the reviewed copies in tests/golden/ (regenerate with `make golden`, review the diff)."""

from __future__ import annotations

import difflib

import pytest

from .golden import make_sample, normalise, stored


@pytest.fixture(scope="module")
def generated(tmp_path_factory: pytest.TempPathFactory) -> dict[str, dict[str, str]]:
    paths = make_sample(tmp_path_factory.mktemp("golden"))
    return {name: normalise(path) for name, path in paths.items()}


@pytest.mark.parametrize("workbook", ["department-TEC", "consolidated"])
def test_workbook_matches_golden(generated: dict[str, dict[str, str]], workbook: str) -> None:
    golden = stored(workbook)
    assert golden, f"tests/golden/{workbook} is missing: run `make golden`"
    parts = generated[workbook]
    assert sorted(parts) == sorted(golden), "zip parts differ (run `make golden` if intended)"
    for part, text in parts.items():
        if text != golden[part]:
            diff = "".join(list(difflib.unified_diff(
                golden[part].splitlines(keepends=True), text.splitlines(keepends=True),
                f"golden/{workbook}/{part}", "generated", n=2))[:60])
            pytest.fail(f"{workbook}: {part} differs from the golden file "
                        f"(run `make golden` if intended):\n{diff}")


def test_normalising_keeps_what_matters(generated: dict[str, dict[str, str]]) -> None:
    """Only volatile values are masked: the department, week and built_at stay."""
    strings = generated["department-TEC"]["xl/sharedStrings.xml"]
    assert "FILE-ID" in strings and "XLFLOW-VERSION" in strings
    assert "技术部" in strings and "2024-W28" in strings and "2024-07-08T09:00:00+08:00" in strings
    core = generated["consolidated"]["docProps/core.xml"]
    assert "dcterms:created" not in core and "周进度汇总" in core
