"""A synthetic project of any size, for the benchmarks."""

from __future__ import annotations

import argparse
import datetime as dt
import resource
from pathlib import Path

import yaml

START = dt.date(2024, 7, 1)
WEEK = "2024-W28"
AS_OF = dt.date(2024, 7, 12)


def write_project(root: Path, departments: int, tasks: int) -> Path:
    depts = [{"name": f"部门{i:03d}", "code": f"D{i:03d}", "head": f"负责人{i}",
              "email": f"d{i}@example.com"} for i in range(1, departments + 1)]
    data = {
        "project": {"id": "BENCH-1", "name": "基准测试项目", "priority": "中",
                    "initiating_department": depts[0]["name"], "initiator": "张伟",
                    "contact": "13800000000", "start": START,
                    "end": START + dt.timedelta(days=59), "background": "基准",
                    "goals": "测量速度"},
        "departments": depts,
        "milestones": [{"id": f"M{i}", "name": f"里程碑{i}",
                        "date": START + dt.timedelta(days=15 * i)} for i in range(1, 5)],
        "expected_results": [{"id": f"R{i:03d}", "name": f"成果{i}", "target": ">= 100",
                              "unit": "个", "department": d["name"]}
                             for i, d in enumerate(depts, start=1)],
        "tasks": [{"id": f"T{i:04d}", "department": depts[i % departments]["name"],
                   "role": "工程师", "duty": f"负责第 {i} 项工作的设计、开发与测试",
                   "deliverable": f"交付物{i}", "due": START + dt.timedelta(days=5 + i % 50),
                   "owner": f"员工{i}", "milestone": f"M{1 + i % 4}"} for i in range(tasks)],
    }
    root.mkdir(parents=True, exist_ok=True)
    for sub in ("inbox", "outbox", "reports"):
        (root / sub).mkdir(exist_ok=True)
    path = root / "project.yaml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")
    return path


def peak_mb() -> float:
    """Peak resident memory of this process so far (Linux reports KiB)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def size_args(doc: str) -> argparse.Namespace:
    """--departments, --tasks and --repeat, shared by the benchmarks."""
    parser = argparse.ArgumentParser(description=doc.splitlines()[0])
    parser.add_argument("--departments", type=int, default=200)
    parser.add_argument("--tasks", type=int, default=500)
    parser.add_argument("--repeat", type=int, default=5, help="best of N")
    return parser.parse_args()
