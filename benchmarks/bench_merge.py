"""Time `xlflow merge` against plain readers of the same files doing the same reading.

    python benchmarks/bench_merge.py [--departments 50 --tasks-per-department 200 --repeat 5]
    python benchmarks/bench_merge.py --scale 10,50,200 --tasks-per-department 50

Generates a project and one filled-in return per department (values stored as Excel
stores what is typed, three risks each), then measures, each run in a fresh process,
the runs interleaved:
  calamine          python-calamine reading the sheets xlflow reads (周进度跟踪表,
                    风险应对申请表, 成果验收确认单, 复盘反馈, _xlflow) of every return;
  pandas+openpyxl   pandas.read_excel(engine="openpyxl") reading the same sheets;
  xlflow 1 process  api.merge(write=False) with XLFLOW_WORKERS=1: load project.yaml,
                    read, check, validate and merge, in one process on one core like
                    the baselines (the ratios use this);
  xlflow workers    the same with xlflow's own worker processes (as many as it chooses:
                    one per core, at most 4, when the work it estimates from the files'
                    sheet XML pays for their start, else none: merge/parallel.py);
  xlflow whole      the whole merge: also the consolidated report and the ledger;
  xlflow whole, 1 proc
                    the same in one process on one core (whole_vs_pandas_openpyxl
                    uses this: the baseline reads on one core too).
Imports are left out of every time and shown on their own. Peak memory is per process
(Linux /proc or getrusage: POSIX only, "n/a" elsewhere). The one-thread ratios use the
best CPU time of --repeat runs (every side runs on one core, so on an idle machine CPU
time is the wall time, and on a shared one it is not inflated by waiting for a core);
parallel_vs_calamine and whole_s use the best wall time. Last line:
  merge_vs_calamine=X merge_vs_pandas_openpyxl=Y parallel_vs_calamine=Z whole_s=S peak_mb=M
  without_project_yaml_vs_calamine=W whole_vs_pandas_openpyxl=V
(W: the one-process ratio less loading project.yaml, measured on its own afterwards.)
project.yaml's cache (DIR/.xlflow-cache): one cold xlflow run (no cache) goes first and is
printed on its own; the interleaved runs are warm (the cache it left), as every command is
after the first on an unchanged project.yaml. Loading project.yaml alone is printed cold
(parsed, cache written) and warm (from the cache).
With --scale, xlflow (one thread) and calamine are measured at each department count;
last line: per_task_largest_vs_smallest=R merge_vs_calamine_at_largest=X sizes=...
With --profile N, one xlflow merge (one thread) runs under cProfile instead, and the top N
functions by cumulative time are printed.
"""

from __future__ import annotations

import contextlib
import json
import os
import statistics
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
from _harness import WORKER, Measure, fmt_peak, interleave, machine, table
from _synthetic import AS_OF, READ_SHEETS, WEEK, make_returns, size_args, write_project


def measures(root: Path, parallel: bool = True) -> list[Measure]:
    base = {"root": str(root), "sheets": list(READ_SHEETS)}
    merge = {**base, "as_of": AS_OF.isoformat(), "week": WEEK, "write": False}
    out = [Measure("calamine", "calamine", base),
           Measure("pandas+openpyxl", "pandas", base),
           Measure("xlflow 1 process", "merge", merge, {"XLFLOW_WORKERS": "1"})]
    if parallel:
        out += [Measure("xlflow workers", "merge", merge),
                Measure("xlflow whole", "merge", {**merge, "write": True}),
                Measure("xlflow whole, 1 proc", "merge", {**merge, "write": True},
                        {"XLFLOW_WORKERS": "1"})]
    return out


def prepare(tmp: str, departments: int, per_department: int) -> Path:
    """The project and its returns under `tmp`; with --keep DIR, made once under DIR and
    reused by later runs (L takes many minutes to generate; merge(write=False) leaves
    the folder as it was)."""
    root = Path(tmp) / f"bench-{departments}x{per_department}"
    if (root / "inbox").is_dir() and (root / ".complete").exists():
        return root
    write_project(root, departments, per_department)
    make_returns(root)
    (root / ".complete").touch()
    return root


@contextlib.contextmanager
def workdir(keep: str) -> Iterator[str]:
    """--keep DIR, or a temporary folder removed afterwards."""
    if keep:
        Path(keep).mkdir(parents=True, exist_ok=True)
        yield keep
    else:
        with tempfile.TemporaryDirectory() as tmp:
            yield tmp


def one_size(args) -> None:
    with workdir(args.keep) as tmp:
        root = prepare(tmp, args.departments, args.tasks_per_department)
        found = measures(root)
        first = Measure("xlflow 1 process, cold", "merge", {**found[2].opts, "cold": True},
                        found[2].env)
        first.once()  # no project.yaml cache: parsed, then kept for the runs below
        interleave(found, args.repeat)
    cal, pdx, one, par, whole, whole_one = found
    tasks = args.departments * args.tasks_per_department
    print(f"{args.departments} returns × {args.tasks_per_department} tasks = {tasks} tasks; "
          f"best and median of {args.repeat}; {machine()}")
    print(table(found))
    warm = [m for m in (one, par, whole, whole_one) if all(r["cache_warm"] for r in m.runs)]
    print(f"project.yaml's cache in the xlflow runs above: "
          f"{'warm in every run' if len(warm) == 4 else 'NOT warm in every run'} (the same "
          f"project.yaml as the run before); a first run with the cache cold: xlflow 1 process "
          f"{first.cpu_best:.3f} CPU s, peak {fmt_peak(first.peak_mb)} MB")
    print(f"project.yaml alone: cold {statistics.median(r['project_cold_s'] for r in one.runs):.3f}"
          f" CPU s (parsed and checked, cache written), warm {one.project_s:.3f} CPU s (from "
          f"the cache) of xlflow's time (neither baseline knows the project); workers: "
          f"{par.runs[-1].get('workers', '?')}")
    print(f"CPU s of all processes (the merge's and its workers'), best: xlflow workers "
          f"{min(r['cpu_s'] + r['children_cpu_s'] for r in par.runs):.3f}, xlflow whole "
          f"{min(r['cpu_s'] + r['children_cpu_s'] for r in whole.runs):.3f}")
    print(f"merge_vs_calamine={one.cpu_best / cal.cpu_best:.2f} "
          f"merge_vs_pandas_openpyxl={one.cpu_best / pdx.cpu_best:.2f} "
          f"parallel_vs_calamine={par.best / cal.best:.2f} whole_s={whole.best:.2f} "
          f"peak_mb={fmt_peak(max((m.peak_mb or 0) for m in (one, par, whole)) or None)} "
          f"without_project_yaml_vs_calamine={(one.cpu_best - one.project_s) / cal.cpu_best:.2f} "
          f"whole_vs_pandas_openpyxl={whole_one.cpu_best / pdx.cpu_best:.2f}")


def scaling(args) -> None:
    per = args.tasks_per_department
    print(f"scaling, {per} tasks per department; best CPU time of {args.repeat}; {machine()}")
    print(f"{'returns':>7} {'tasks':>7}  {'cpu s':>8} {'ms/file':>8} {'µs/task':>8}  "
          f"{'calamine cpu':>12} {'ratio':>6} {'peak MB':>7}  {'yaml s':>7} {'µs/task w/o':>11}")
    per_task: list[float] = []
    without: list[float] = []
    ratio = 0.0
    for n in args.scale:
        with workdir(args.keep) as tmp:
            cal, _, one = measures(prepare(tmp, n, per), parallel=False)
            interleave([cal, one], args.repeat)
        tasks = n * per
        per_task.append(one.cpu_best / tasks)
        without.append((one.cpu_best - one.project_s) / tasks)
        ratio = one.cpu_best / cal.cpu_best
        print(f"{n:7d} {tasks:7d}  {one.cpu_best:8.3f} {one.cpu_best / n * 1e3:8.2f} "
              f"{one.cpu_best / tasks * 1e6:8.1f}  {cal.cpu_best:12.3f} {ratio:6.2f} "
              f"{fmt_peak(one.peak_mb):>7}  {one.project_s:7.3f} {without[-1] * 1e6:11.1f}")
    print(f"per_task_largest_vs_smallest={per_task[-1] / per_task[0]:.2f} "
          f"merge_vs_calamine_at_largest={ratio:.2f} sizes={','.join(map(str, args.scale))} "
          f"without_project_yaml_per_task_largest_vs_smallest={without[-1] / without[0]:.2f}")


def profile(args) -> None:
    """One xlflow merge (one thread) under cProfile: where the time goes."""
    with workdir(args.keep) as tmp:
        root = prepare(tmp, args.departments, args.tasks_per_department)
        merge = measures(root, parallel=False)[2]
        done = subprocess.run([sys.executable, str(WORKER), merge.kind,
                               json.dumps({**merge.opts, "profile": args.profile})],
                              env={**os.environ, **merge.env}, capture_output=True, text=True,
                              check=False)
    print(done.stderr)


def main() -> None:
    args = size_args(__doc__, default_departments=50, default_tasks=200, profile=True,
                     keep=True)
    if args.profile:
        profile(args)
    else:
        scaling(args) if args.scale else one_size(args)


if __name__ == "__main__":
    main()
