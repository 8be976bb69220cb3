"""End to end: `loss-landscape all --preset quick`, and probing SPEC's full moons matrix with 1 and 2 workers; with
`--full-matrix`, SPEC's whole study instead: its 360 runs on the four datasets, trained, probed at the `full` probe
sizes, reported and published as a site, on 2 workers (over an hour on 2 cores), in a temporary root, or in `--root DIR`
(a new folder, kept for reading or publishing).

Run: .venv/bin/python bench/bench_pipeline.py [--full-matrix [--root DIR]]
"""
import contextlib, sys, tempfile
from pathlib import Path
sys.path.insert(0, str(Path(__file__).parent))
from common import load, record, timed_cli
from loss_landscape.utils.configs import DATASETS

SPEC_DATASETS = ",".join(DATASETS)  # the four of SPEC's study


def quick():
    rows = ["| what | workers | wall s |", "|---|---|---|"]
    with tempfile.TemporaryDirectory() as tmp:
        rows.append(f"| `loss-landscape all --preset quick` (train, probe, report, site) | 1 | {timed_cli('all', '--preset', 'quick', '--root', Path(tmp) / 'quick'):.1f} |")
        print(rows[-1], flush=True)
        experiments = Path(tmp) / "full/experiments"
        timed_cli("train", "--preset", "full", "--workers", "2", "--output-root", experiments)
        for workers in (1, 2):
            figures = Path(tmp) / f"full/figures{workers}"
            seconds = timed_cli("probe", "--preset", "quick", "--workers", workers, "--experiments-root", experiments, "--figures-root", figures)
            rows.append(f"| probing the full moons matrix (90 runs, 30 groups; quick probe sizes) | {workers} | {seconds:.1f} |")
            print(rows[-1], flush=True)
    record("Pipeline (bench_pipeline.py)",
           "Targets: the quick demo end to end under 3 minutes on 2 cores; the full moons matrix probed under 15 minutes.\n\n" + "\n".join(rows))


def full_matrix(keep: Path | None = None):
    "SPEC's study, stage by stage, each a fresh command on 2 workers, as a user would run it; in `keep` (a new folder) if given."
    if keep is not None and keep.exists(): sys.exit(f"--root {keep}: the folder exists; the pipeline would resume in it, so time a new one")
    before = load()
    with tempfile.TemporaryDirectory() if keep is None else contextlib.nullcontext(keep) as tmp:
        root = Path(tmp)
        roots = ["--experiments-root", root / "experiments", "--figures-root", root / "figures"]
        stages = [("train (360 runs)", ["train", "--preset", "full", "--datasets", SPEC_DATASETS, "--workers", 2, "--output-root", root / "experiments"]),
                  ("probe (360 runs, 120 groups; `full` probe sizes)", ["probe", "--preset", "full", "--workers", 2, *roots]),
                  ("report", ["report", *roots, "--reports-root", root]),
                  ("site", ["site", *roots, "--reports-root", root, "--out", root / "site", "--workers", 2])]
        rows, total = ["| stage | wall s |", "|---|---|"], 0.0
        for label, args in stages:
            seconds = timed_cli(*args)
            total += seconds
            rows.append(f"| {label} | {seconds:.0f} |")
            print(rows[-1], flush=True)
    rows.append(f"| **all** | **{total:.0f}** ({total / 60:.0f} min) |")
    record("SPEC's full matrix (bench_pipeline.py --full-matrix)",
           f"SPEC's matrix on {SPEC_DATASETS} (360 runs, 120 groups of 3 seeds), `--preset full` for training and probing, 2 workers, "
           f"each stage a fresh command. Target: under 60 minutes on 2 cores. Load average (1/5/15 min) before: {before}, after: {load()}.\n\n"
           + "\n".join(rows))


if __name__ == "__main__":
    args = sys.argv[1:]
    if args[:1] == ["--full-matrix"] and args[1:2] in ([], ["--root"]) and len(args) in (1, 3):
        full_matrix(Path(args[2]) if len(args) == 3 else None)
    elif args: sys.exit(f"arguments {' '.join(args)} are not allowed; expected none, --full-matrix, or --full-matrix --root DIR")
    else: quick()
