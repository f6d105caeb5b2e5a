"""Time `xlflow merge` against plain readers of the same files.

    python benchmarks/bench_merge.py [--departments 200 --tasks 500]

Generates that many filled-in returns (with risks), then times, in the same run:
  (a) python-calamine only reading every sheet of the files,
  (b) pandas.read_excel(engine="openpyxl") only reading them,
  (c) xlflow's read + validate + merge, without the report,
  (d) the whole merge (with report and ledger).
Aims: c/a <= 2, d/b <= 1. Last line:
merge_vs_calamine=X.XX merge_vs_pandas_openpyxl=Y.YY report_s=Z peak_mb=M
"""

from __future__ import annotations

import datetime as dt
import sys
import tempfile
import time
from pathlib import Path

import pandas as pd
from python_calamine import CalamineWorkbook

sys.path.insert(0, str(Path(__file__).parent))
from _synthetic import AS_OF, WEEK, peak_mb, size_args, write_project

from xlflow import api
from xlflow.project import load_project
from xlflow.report.consolidated import write_consolidated
from xlflow.simulate import fill_workbook


def make_returns(root: Path) -> list[Path]:
    built = api.build(root, week=WEEK)
    project = load_project(root)
    files = []
    for n, (dept, path) in enumerate(built.departments.items()):
        weekly = {t.id: {"实际完成情况": f"{t.deliverable} 进行中", "完成百分比": f"{(n * 7) % 101}%",
                         "预计完成日期": (t.due + dt.timedelta(days=n % 5)).isoformat(),
                         "偏差原因": "资源不足" if n % 3 else ""}
                  for t in project.tasks_of(dept)}
        risks = [{"发现时间": "2024-07-08 09:00", "提出时间": f"2024-07-0{8 + k % 2} 10:00",
                  "风险描述": f"{dept} 风险 {k}", "风险等级": "高中低"[k % 3], "影响范围": "进度",
                  "建议措施": "加派人手", "责任人": "张三", "解决时限": "2024-07-20",
                  "状态": "处理中"} for k in range(3)]
        target = root / "inbox" / f"{dept}.xlsx"
        fill_workbook(path, weekly=weekly, risks=risks, out=target)
        files.append(target)
    return files


def read_calamine(files: list[Path]) -> int:
    rows = 0
    for f in files:
        book = CalamineWorkbook.from_path(str(f))
        for name in book.sheet_names:
            rows += len(book.get_sheet_by_name(name).to_python())
    return rows


def read_pandas(files: list[Path]) -> int:
    return sum(len(df) for f in files
               for df in pd.read_excel(f, sheet_name=None, engine="openpyxl").values())


def best(fn, repeat: int) -> tuple[float, object]:
    best_s, out = float("inf"), None
    for _ in range(repeat):
        start = time.perf_counter()
        out = fn()
        best_s = min(best_s, time.perf_counter() - start)
    return best_s, out


def main() -> None:
    args = size_args(__doc__)
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp) / "bench"
        write_project(root, args.departments, args.tasks)
        files = make_returns(root)
        b, _ = best(lambda: read_pandas(files), 1)
        a = c = d = float("inf")
        for _ in range(args.repeat):  # interleaved, so each ratio sees one machine state
            a_s, rows = best(lambda: read_calamine(files), 1)
            c_s, report = best(lambda: api.merge(root, as_of=AS_OF, week=WEEK, write=False), 1)
            d_s, _ = best(lambda: api.merge(root, as_of=AS_OF, week=WEEK), 1)
            a, c, d = min(a, a_s), min(c, c_s), min(d, d_s)
        project = load_project(root)
        report_s, _ = best(lambda: write_consolidated(Path(tmp) / "r.xlsx", report,
                                                      project_start=project.start), 1)
        print(f"{len(files)} returns, {rows} sheet rows; {len(report.tasks)} tasks, "
              f"{len(report.risks)} risks, {len(report.issues)} issues")
        print(f"(a) calamine read only:        {a:.2f} s")
        print(f"(b) pandas+openpyxl read only: {b:.2f} s")
        print(f"(c) xlflow read+validate+merge: {c:.2f} s  (c/a {c / a:.2f}, aim <= 2)")
        print(f"(d) xlflow merge, whole:        {d:.2f} s  (d/b {d / b:.2f}, aim <= 1)")
        print(f"merge_vs_calamine={c / a:.2f} merge_vs_pandas_openpyxl={d / b:.2f} "
              f"report_s={report_s:.2f} peak_mb={peak_mb():.0f}")


if __name__ == "__main__":
    main()
