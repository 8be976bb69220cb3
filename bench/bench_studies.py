"""The six study notebooks of `loss-landscape site`, side by side on the same results: each worker's studies in one kernel,
reset between them (`one_kernel`, what the site does), against a task and a fresh kernel per study (what it did before),
with 1 and 2 workers. By default on the smoke pipeline's four runs (built here first, about 2 minutes), where a study's
own work is small and the kernels' start and imports show; `--root DIR` times the results under a reports root made before.

Run: .venv/bin/python bench/bench_studies.py [--root DIR]
"""
import argparse, sys, tempfile
from pathlib import Path
sys.path.insert(0, str(Path(__file__).parent))
from common import interleaved_best, load, record, timed_cli
from loss_landscape.experiments.parallel import all_done, run_tasks
from loss_landscape.reports import site


def kernel_per_study(root: Path, out: Path, workers: int):
    "One task per study, each executing its notebook in a kernel of its own."
    tasks = [dict(notebook_path=out / "studies" / f"{s}.ipynb", study=s, experiments_root=root / "experiments",
                  figures_root=root / "figures", reports_root=out) for s in site.STUDIES]
    all_done(run_tasks(site.run_study, tasks, workers, threads=None, progress=False))


def one_kernel_per_worker(root: Path, out: Path, workers: int):
    site.run_study_notebooks(root / "experiments", root / "figures", out, workers)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--root", type=Path, default=None, help="a reports root holding experiments/ and figures/; default: the smoke pipeline, built here")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        root = args.root or Path(tmp) / "reports"
        if args.root is None: timed_cli("all", "--preset", "smoke", "--root", root)
        before = load()
        rows = []
        for workers in (1, 2):
            seconds = interleaved_best({name: lambda fn=fn: fn(root, Path(tmp) / name, workers)
                                        for name, fn in [("per study", kernel_per_study), ("per worker", one_kernel_per_worker)]}, repeat=2)
            rows.append(f"| {workers} | {seconds['per study']:.1f} | {seconds['per worker']:.1f} | {seconds['per study'] / seconds['per worker']:.1f}x |")
    what = "the smoke pipeline's 4 runs" if args.root is None else f"`{args.root}`"
    record(f"Study notebooks: one kernel per worker (bench_studies.py, {'smoke' if args.root is None else args.root.name})",
           f"The six study notebooks on {what}, best of 2 interleaved rounds after a warm-up round. Load average (1/5/15 min) "
           f"before: {before}, after: {load()}.\n\n| workers | a kernel per study, s | one kernel per worker, s | speed-up |\n|---|---|---|---|\n" + "\n".join(rows))


if __name__ == "__main__":
    main()
