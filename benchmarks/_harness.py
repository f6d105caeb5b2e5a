"""Run measurements in fresh processes, interleaved, and summarise them."""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

WORKER = Path(__file__).with_name("_worker.py")


@dataclass
class Measure:
    """One thing measured: a worker kind, its options and environment, and its runs."""

    label: str
    kind: str
    opts: dict[str, Any]
    env: dict[str, str] = field(default_factory=dict)
    runs: list[dict[str, Any]] = field(default_factory=list)

    def once(self) -> None:
        env = {**os.environ, **self.env}
        if "XLFLOW_WORKERS" not in self.env:
            env.pop("XLFLOW_WORKERS", None)
        done = subprocess.run([sys.executable, str(WORKER), self.kind, json.dumps(self.opts)],
                              env=env, capture_output=True, text=True, check=False)
        if done.returncode != 0:
            sys.exit(f"{self.label} failed:\n{done.stderr}")
        self.runs.append(json.loads(done.stdout.strip().splitlines()[-1]))

    @property
    def best(self) -> float:
        return min(r["work_s"] for r in self.runs)

    @property
    def median(self) -> float:
        return statistics.median(r["work_s"] for r in self.runs)

    @property
    def cpu_best(self) -> float:
        return min(r["cpu_s"] for r in self.runs)

    @property
    def import_s(self) -> float:
        return statistics.median(r["import_s"] for r in self.runs)

    @property
    def peak_mb(self) -> float | None:
        peaks = [r["peak_mb"] for r in self.runs if r["peak_mb"] is not None]
        return max(peaks) if peaks else None

    @property
    def project_s(self) -> float:
        """Median CPU time of loading project.yaml alone (merge measures only)."""
        return statistics.median(r.get("project_s") or 0.0 for r in self.runs)

    @property
    def count(self) -> int:
        return self.runs[-1]["count"]


def interleave(measures: list[Measure], repeat: int) -> None:
    """Each round runs every measure once, starting one further along each time, so no
    measure always runs first (cold disk cache) or right after the heaviest."""
    for r in range(repeat):
        k = r % len(measures)
        for m in measures[k:] + measures[:k]:
            m.once()


def table(measures: list[Measure]) -> str:
    width = max(len(m.label) for m in measures)
    lines = [f"{'':{width}}  {'best s':>8}  {'median s':>8}  {'best cpu s':>10}  {'imports s':>9}  "
             f"{'peak MB':>7}  {'count':>7}"]
    for m in measures:
        peak = f"{m.peak_mb:7.0f}" if m.peak_mb is not None else "    n/a"
        lines.append(f"{m.label:{width}}  {m.best:8.3f}  {m.median:8.3f}  {m.cpu_best:10.3f}  "
                     f"{m.import_s:9.3f}  "
                     f"{peak}  {m.count:7d}")
    return "\n".join(lines)


def machine() -> str:
    model = ""
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as fh:
            model = next((line.split(":", 1)[1].strip() for line in fh
                          if line.startswith("model name")), "")
    except OSError:
        pass
    return f"{os.cpu_count()} CPUs{', ' + model if model else ''}; Python {sys.version.split()[0]}"


def fmt_peak(value: float | None) -> str:
    return "n/a" if value is None else f"{value:.0f}"
