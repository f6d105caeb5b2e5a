"""A synthetic project of any size, its filled-in returns, and the shared options of the
benchmarks."""

from __future__ import annotations

import argparse
import datetime as dt
from pathlib import Path

import yaml

START = dt.date(2024, 7, 1)
WEEK = "2024-W28"
AS_OF = dt.date(2024, 7, 12)
# What xlflow's merge reads of a department return; the baselines read exactly these.
READ_SHEETS = ("周进度跟踪表", "风险应对申请表", "成果验收确认单", "复盘反馈", "_xlflow")


def write_project(root: Path, departments: int, tasks_per_department: int) -> Path:
    """project.yaml with `departments` departments of `tasks_per_department` tasks each."""
    depts = [{"name": f"部门{i:03d}", "code": f"D{i:03d}", "head": f"负责人{i}",
              "email": f"d{i}@example.com"} for i in range(1, departments + 1)]
    tasks = departments * tasks_per_department
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
        "tasks": [{"id": f"T{i:06d}", "department": depts[i % departments]["name"],
                   "role": "工程师", "duty": f"负责第 {i} 项工作的设计、开发与测试",
                   "deliverable": f"交付物{i}", "due": START + dt.timedelta(days=5 + i % 50),
                   "owner": f"员工{i}", "milestone": f"M{1 + i % 4}"} for i in range(tasks)],
    }
    root.mkdir(parents=True, exist_ok=True)
    for sub in ("inbox", "outbox", "reports"):
        (root / sub).mkdir(exist_ok=True)
    path = root / "project.yaml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")
    from xlflow.simulate import record_filed

    # approved and filed (PMO备案, baselined), as a real project is before build and merge
    # run: the benchmarks measure those, not the gate
    record_filed(root, by="bench", number="BENCH", approver="bench")
    return path


def make_returns(root: Path) -> list[Path]:
    """Build the workbooks and fill each the way a department types in Excel (percent,
    dates and head counts become numbers and dates: see xlflow.simulate.as_typed), with
    three risks per department, into root/inbox."""
    from xlflow import api
    from xlflow.simulate import fill_workbook

    built = api.build(root, week=WEEK)
    project = built.project
    by_dept: dict[str, list] = {}
    for t in project.tasks:
        by_dept.setdefault(t.department, []).append(t)
    files = []
    for n, (dept, path) in enumerate(built.departments.items()):
        weekly = {t.id: {"实际完成情况": f"{t.deliverable} 进行中", "完成百分比": f"{(n * 7) % 101}%",
                         "预计完成日期": (t.due + dt.timedelta(days=n % 5)).isoformat(),
                         "本周投入人数": str(1 + n % 4), "偏差原因": "资源不足" if n % 3 else ""}
                  for t in by_dept.get(dept, [])}
        risks = [{"发现时间": "2024-07-08 09:00", "提出时间": f"2024-07-0{8 + k % 2} 10:00",
                  "风险描述": f"{dept} 风险 {k}", "风险等级": "高中低"[k % 3], "影响范围": "进度",
                  "建议措施": "加派人手", "责任人": "张三", "解决时限": "2024-07-20",
                  "状态": "处理中"} for k in range(3)]
        target = root / "inbox" / f"{dept}.xlsx"
        fill_workbook(path, weekly=weekly, risks=risks, out=target)
        files.append(target)
    return files


def size_args(doc: str, default_departments: int, default_tasks: int,
              profile: bool = False, keep: bool = False) -> argparse.Namespace:
    """--departments, --tasks-per-department, --repeat and --scale, shared by the benchmarks."""
    parser = argparse.ArgumentParser(description=doc.splitlines()[0],
                                     formatter_class=argparse.RawDescriptionHelpFormatter,
                                     epilog="\n".join(doc.splitlines()[1:]))
    parser.add_argument("--departments", type=int, default=default_departments,
                        help="departments = returned workbooks (default %(default)s)")
    parser.add_argument("--tasks-per-department", type=int, default=default_tasks,
                        help="tasks of each department (default %(default)s)")
    parser.add_argument("--repeat", type=int, default=5,
                        help="runs of each measurement, interleaved; best and median printed")
    parser.add_argument("--scale", default="",
                        help="comma-separated department counts, e.g. 10,50,200: time per file "
                             "and per task at each size, with --tasks-per-department tasks each")
    if keep:
        parser.add_argument("--keep", default="", metavar="DIR",
                            help="make the projects and returns under DIR and reuse them on "
                                 "later runs (default: a temporary folder, removed)")
    if profile:
        parser.add_argument("--profile", type=int, default=0, metavar="N",
                            help="run one xlflow merge under cProfile; print the top N functions")
    args = parser.parse_args()
    if args.departments < 1 or args.tasks_per_department < 1 or args.repeat < 1:
        parser.error("--departments, --tasks-per-department and --repeat must be at least 1")
    try:
        args.scale = [int(s) for s in args.scale.split(",") if s.strip()]
    except ValueError:
        parser.error(f"--scale: expected numbers like 10,50,200, got {args.scale!r}")
    return args
