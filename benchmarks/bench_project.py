"""Time loading project.yaml at growing task counts, cold (parsed) and warm (from the cache).

    python benchmarks/bench_project.py [--sizes 5000 20000 40000 100000] [--departments 200]

For each size, in this process, interleaved, each the best of --repeat runs in CPU time
(the development machine is shared; wall time swings with the neighbours):
  cold   `load_project` with no cache: YAML parse and checks, then the cache written
         (what the first command after an edit of project.yaml pays), with its parts:
         the YAML parse alone, the checks, writing the cache;
  warm   `load_project` with the cache of the same project.yaml (every later command).
Then the same two in fresh processes (like `xlflow merge` loading it), interleaved: CPU
time and peak resident memory (Linux /proc, other POSIX getrusage; n/a on Windows), and
the peak after the imports alone. The default sizes end with L of the README (200
departments × 500 tasks); M is `--sizes 10000 --departments 50`.
Last line: load_per_task_ratio=X.XX warm_per_task_ratio=Y.YY warm_vs_cold=Z.ZZ
peak_mb=C warm_peak_mb=W (per-task time at the largest size over the smallest, ~1 when
linear; warm over cold at the largest size; the largest fresh-process peaks).
"""

from __future__ import annotations

import argparse
import shutil
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
from _harness import Measure, fmt_peak, interleave
from _synthetic import write_project

from xlflow import _project_cache, _yaml
from xlflow._gcpause import paused_gc
from xlflow.project import PROJECT_FILE, _Parser, load_project
from xlflow.workspace import Workspace


def cpu(fn) -> float:
    start = time.process_time()
    fn()
    return time.process_time() - start


def best_of(repeat: int, fn) -> float:
    return min(cpu(fn) for _ in range(repeat))


def drop_cache(root: Path) -> None:
    shutil.rmtree(root / _project_cache.CACHE_DIR, ignore_errors=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[5000, 20000, 40000, 100000])
    parser.add_argument("--departments", type=int, default=200)
    parser.add_argument("--repeat", type=int, default=3, help="best of N")
    args = parser.parse_args()
    cold_per_task: list[float] = []
    warm_per_task: list[float] = []
    peaks: list[tuple[float, float]] = []
    with tempfile.TemporaryDirectory() as tmp:
        for n in args.sizes:
            root = Path(tmp) / f"p{n}"
            write_project(root, args.departments, max(1, n // args.departments))
            Workspace(root).ensure_key()  # the cache is signed with the project's key
            cold_s, warm_s = float("inf"), float("inf")
            for _ in range(args.repeat):  # interleaved: cold, then warm from its cache
                drop_cache(root)
                cold_s = min(cold_s, cpu(lambda root=root: load_project(root)))
                warm_s = min(warm_s, cpu(lambda root=root: load_project(root)))
            path = root / PROJECT_FILE
            yaml_s = best_of(args.repeat, lambda path=path: _yaml.load_file(path))
            data = _yaml.load_file(path)
            with paused_gc():
                check_s = best_of(args.repeat, lambda path=path, data=data, root=root:
                                  _Parser(path).project(data, root))
            del data
            project = load_project(root)
            digest = _project_cache.digest_of(path.read_bytes())
            keep_s = best_of(args.repeat, lambda root=root, digest=digest, project=project:
                             _project_cache.write(root, digest, project))
            del project
            tasks = len(load_project(root).tasks)
            cold_per_task.append(cold_s / tasks * 1e6)
            warm_per_task.append(warm_s / tasks * 1e6)
            print(f"{tasks:>6} tasks: cold {cold_s:6.2f} s (yaml {yaml_s:5.2f} s, checks "
                  f"{check_s:5.2f} s, writing the cache {keep_s:5.2f} s) · warm {warm_s:6.3f} s "
                  f"· {cold_per_task[-1]:5.1f} / {warm_per_task[-1]:4.1f} us/task cold / warm")
            opts = {"root": str(root)}
            fresh_cold = Measure("cold", "project", {**opts, "cold": True})
            fresh_warm = Measure("warm", "project", opts)
            interleave([fresh_cold, fresh_warm], args.repeat)
            assert not any(r["cache_warm"] for r in fresh_cold.runs)
            assert all(r["cache_warm"] for r in fresh_warm.runs)
            peaks.append((fresh_cold.peak_mb or 0, fresh_warm.peak_mb or 0))
            imports = max((r["imports_mb"] or 0) for r in fresh_warm.runs) or None
            print(f"{'':>6} fresh process: cold {fresh_cold.cpu_best:6.2f} CPU s, peak "
                  f"{fmt_peak(fresh_cold.peak_mb)} MB · warm {fresh_warm.cpu_best:6.3f} CPU s, "
                  f"peak {fmt_peak(fresh_warm.peak_mb)} MB (imports alone {fmt_peak(imports)} MB)")
    print(f"load_per_task_ratio={cold_per_task[-1] / cold_per_task[0]:.2f} "
          f"warm_per_task_ratio={warm_per_task[-1] / warm_per_task[0]:.2f} "
          f"warm_vs_cold={warm_per_task[-1] / cold_per_task[-1]:.2f} "
          f"peak_mb={fmt_peak(max(c for c, _ in peaks) or None)} "
          f"warm_peak_mb={fmt_peak(max(w for _, w in peaks) or None)}")


if __name__ == "__main__":
    main()
