"""Time loading project.yaml at growing task counts: the cost per task must stay flat.

    python benchmarks/bench_project.py [--sizes 5000 20000 40000] [--departments 200]

For each size: the whole `load_project`, the YAML parse alone (PyYAML with libyaml,
line-tracking) and the checks (the rest), each the best of --repeat runs in CPU time
(the development machine is shared; wall time swings with the neighbours), and the
microseconds per task. Loading is linear when us/task stays about the same as the
project grows (it was quadratic: 1.7 / 12.8 / 80.6 s for `status` at 5k / 20k / 40k).
Then, in a fresh process (like `xlflow merge` loading it): the CPU time and the peak
resident memory of `load_project`, and the peak after the imports alone (Linux /proc,
other POSIX getrusage; n/a on Windows). M and L of the README:
    python benchmarks/bench_project.py --sizes 10000 --departments 50
    python benchmarks/bench_project.py --sizes 100000 --departments 200
Last line: load_per_task_ratio=X.XX (us/task at the largest size over the smallest;
about 1 when linear, about 8 at these sizes when quadratic).
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
from _harness import Measure, fmt_peak
from _synthetic import write_project

from xlflow import _yaml
from xlflow.project import PROJECT_FILE, _Parser, load_project


def best_of(repeat: int, fn) -> float:
    best = float("inf")
    for _ in range(repeat):
        start = time.process_time()
        fn()
        best = min(best, time.process_time() - start)
    return best


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[5000, 20000, 40000])
    parser.add_argument("--departments", type=int, default=200)
    parser.add_argument("--repeat", type=int, default=3, help="best of N")
    args = parser.parse_args()
    per_task: list[float] = []
    peaks: list[float] = []
    with tempfile.TemporaryDirectory() as tmp:
        for n in args.sizes:
            root = Path(tmp) / f"p{n}"
            write_project(root, args.departments, n // args.departments)  # n tasks in all
            load_s = best_of(args.repeat, lambda root=root: load_project(root))
            path = root / PROJECT_FILE
            yaml_s = best_of(args.repeat, lambda path=path: _yaml.load_file(path))
            data = _yaml.load_file(path)
            with _yaml.paused_gc():
                check_s = best_of(args.repeat, lambda path=path, data=data, root=root:
                                  _Parser(path).project(data, root))
            per_task.append(load_s / n * 1e6)
            print(f"{n:>6} tasks: load {load_s:6.2f} s (yaml {yaml_s:5.2f} s, checks "
                  f"{check_s:5.2f} s) · {per_task[-1]:6.1f} us/task")
            fresh = Measure("load_project", "project", {"root": str(root)})
            for _ in range(args.repeat):
                fresh.once()
            peaks.append(fresh.peak_mb or 0)
            imports = max((r["imports_mb"] or 0) for r in fresh.runs) or None
            print(f"{'':>6} fresh process: load {fresh.cpu_best:6.2f} CPU s, peak "
                  f"{fmt_peak(fresh.peak_mb)} MB (imports alone {fmt_peak(imports)} MB)")
    print(f"load_per_task_ratio={per_task[-1] / per_task[0]:.2f} "
          f"peak_mb={fmt_peak(max(peaks) or None)}")


if __name__ == "__main__":
    main()
