"""The benchmarks run end to end on a tiny project, so they don't rot. No times asserted."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

BENCH = Path(__file__).parents[1] / "benchmarks"
RATIO = r"\d+\.\d\d"
LAST_LINES = {
    "bench_merge.py": rf"merge_vs_calamine={RATIO} merge_vs_pandas_openpyxl={RATIO} "
                      rf"parallel_vs_calamine={RATIO} whole_s={RATIO} peak_mb=(\d+|n/a) "
                      rf"without_project_yaml_vs_calamine=-?{RATIO} whole_vs_pandas_openpyxl={RATIO}",
    "bench_build.py": rf"build_vs_plain_xlsxwriter={RATIO} workbooks=7 build_s={RATIO} "
                      rf"peak_mb=(\d+|n/a) build_vs_own_calls={RATIO}",
}


@pytest.mark.parametrize("script", sorted(LAST_LINES))
def test_benchmark_runs_and_ends_with_its_ratios(script: str) -> None:
    done = subprocess.run([sys.executable, str(BENCH / script), "--departments", "3",
                           "--tasks-per-department", "2", "--repeat", "1"],
                          capture_output=True, text=True, timeout=300, check=False)
    assert done.returncode == 0, done.stderr
    lines = done.stdout.strip().splitlines()
    assert re.fullmatch(LAST_LINES[script], lines[-1]), lines[-1]
    # every measure did the whole job: 3 returns × 2 tasks merged, or 7 files written
    # (3 weekly workbooks, 3 risk forms, the PMO master)
    counts = [int(line.split()[-1]) for line in lines if line.startswith(("xlflow", "plain"))]
    assert counts == ([6, 6, 6, 6] if script == "bench_merge.py" else [7, 7])


def test_scaling_reports_each_size_and_the_per_task_ratio() -> None:
    done = subprocess.run([sys.executable, str(BENCH / "bench_merge.py"), "--scale", "1,2",
                           "--tasks-per-department", "2", "--repeat", "1"],
                          capture_output=True, text=True, timeout=300, check=False)
    assert done.returncode == 0, done.stderr
    lines = done.stdout.strip().splitlines()
    assert [line.split()[:2] for line in lines[2:4]] == [["1", "2"], ["2", "4"]]
    assert re.fullmatch(rf"per_task_largest_vs_smallest={RATIO} merge_vs_calamine_at_largest="
                        rf"{RATIO} sizes=1,2 without_project_yaml_per_task_largest_vs_smallest="
                        rf"-?{RATIO}", lines[-1]), lines[-1]


def test_kept_projects_are_made_once_and_reused(tmp_path: Path) -> None:
    args = [sys.executable, str(BENCH / "bench_merge.py"), "--scale", "1", "--tasks-per-department",
            "2", "--repeat", "1", "--keep", str(tmp_path)]
    first = subprocess.run(args, capture_output=True, text=True, timeout=300, check=False)
    assert first.returncode == 0, first.stderr
    made = sorted(p.name for p in (tmp_path / "bench-1x2" / "inbox").iterdir())
    stamp = (tmp_path / "bench-1x2" / "inbox" / made[0]).stat().st_mtime_ns
    again = subprocess.run(args, capture_output=True, text=True, timeout=300, check=False)
    assert again.returncode == 0, again.stderr
    assert (tmp_path / "bench-1x2" / "inbox" / made[0]).stat().st_mtime_ns == stamp
