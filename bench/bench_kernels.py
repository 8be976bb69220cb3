"""Notebooks executed in the kernel their process keeps (what `run_tasks` does), against a fresh kernel per notebook (what
every notebook had before), side by side on the same results: the six study notebooks of `loss-landscape site` with 1 and
2 workers, and the papermill engine's train and probe notebooks in-process. By default on the smoke pipeline's four runs
(built here first, about 2 minutes), where a notebook's own work is small and the kernels' start and imports show;
`--root DIR` times the studies of a reports root made before.

Run: .venv/bin/python bench/bench_kernels.py [--root DIR]
"""
import argparse, contextlib, shutil, sys, tempfile
from pathlib import Path
from unittest import mock
sys.path.insert(0, str(Path(__file__).parent))
from common import interleaved_best, load, record, timed_cli
from loss_landscape import registry
from loss_landscape.experiments import parallel
from loss_landscape.experiments.parallel import all_done, run_tasks
from loss_landscape.experiments.run_full_matrix import experiment_for, run_full_matrix
from loss_landscape.experiments.run_probes_and_reports import run_probes
from loss_landscape.reports import site


def study_in_a_fresh_kernel(**task):
    "`run_study` outside its process's kept kernel: a kernel of its own."
    kept, parallel._KEPT = parallel._KEPT, None
    try: return site.run_study(**task)
    finally: parallel._KEPT = kept


def studies(root: Path, out: Path, workers: int, kept: bool):
    "The six studies of `root` into `out` on `workers` processes, in their kept kernels or each in a fresh one."
    if kept: return site.run_study_notebooks(root / "experiments", root / "figures", out, workers)
    tasks = [dict(notebook_path=out / "studies" / f"{s}.ipynb", study=s, experiments_root=root / "experiments",
                  figures_root=root / "figures", reports_root=out) for s in site.STUDIES]
    all_done(run_tasks(study_in_a_fresh_kernel, tasks, workers, threads=None, progress=False))


def papermill_engine(out: Path, kept: bool):
    "Train and probe the smoke matrix in this process with the papermill engine into an empty `out`, in one kept kernel or a kernel per notebook."
    shutil.rmtree(out, ignore_errors=True)
    with mock.patch.object(parallel, "one_kernel", parallel.one_kernel if kept else contextlib.nullcontext):
        all_done(run_full_matrix(experiment_for("smoke"), out / "experiments", engine="papermill", progress=False))
        all_done(run_probes(out / "experiments", out / "figures", registry.probe_configs("smoke"), engine="papermill", progress=False))


def row(what: str, seconds: dict) -> str:
    return f"| {what} | {seconds[False]:.1f} | {seconds[True]:.1f} | {seconds[False] / seconds[True]:.1f}x |"


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--root", type=Path, default=None, help="a reports root holding experiments/ and figures/; default: the smoke pipeline, built here")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        root = args.root or Path(tmp) / "reports"
        if args.root is None: timed_cli("all", "--preset", "smoke", "--root", root)
        before = load()
        rows = [row(f"six studies, {workers} worker{'s' * (workers > 1)}",
                    interleaved_best({kept: lambda kept=kept, w=workers: studies(root, Path(tmp) / f"studies-{kept}", w, kept) for kept in (False, True)}, repeat=2))
                for workers in (1, 2)]
        if args.root is None:
            rows.append(row("train and probe, papermill engine, in-process",
                            interleaved_best({kept: lambda kept=kept: papermill_engine(Path(tmp) / "engine", kept) for kept in (False, True)}, repeat=1)))
    what = "the smoke pipeline's 4 runs" if args.root is None else f"`{args.root}`"
    record(f"Kernels kept per process (bench_kernels.py, {'smoke' if args.root is None else args.root.name})",
           f"Notebooks on {what}: the studies best of 2 interleaved rounds, the engine best of 1, each after a warm-up round. "
           f"Load average (1/5/15 min) before: {before}, after: {load()}.\n\n"
           "| notebooks | a kernel per notebook, s | kernels kept, s | speed-up |\n|---|---|---|---|\n" + "\n".join(rows))


if __name__ == "__main__":
    main()
