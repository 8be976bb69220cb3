"""The site at the size of SPEC's matrix: 360 runs on the four datasets, 120 configuration pages, built with 1 and with
2 worker processes, each a fresh `loss-landscape site` on the same results. The runs are trained and probed at the
`smoke` sizes (the site's work, pages and studies, depends on the number of runs and groups, not on the probes' sizes),
which takes about 15 minutes on 2 cores; `--root DIR` reuses (or resumes) a tree made there before.

Run: .venv/bin/python bench/bench_site.py [--root DIR]
"""
import argparse, sys, tempfile
from pathlib import Path
sys.path.insert(0, str(Path(__file__).parent))
from common import load, record, timed_cli
from loss_landscape.utils.configs import ACTIVATIONS, ARCHITECTURES, DATASETS

# SPEC's matrix (the `full` preset's sweep) at the `smoke` preset's sizes
MATRIX = ["--preset", "smoke", "--datasets", ",".join(DATASETS), "--archs", ",".join(ARCHITECTURES), "--activations", ",".join(ACTIVATIONS),
          "--optimizers", "sgd,adam", "--seeds", "0,1,2"]


def site_seconds(root: Path) -> dict:
    "Wall seconds of the site with 1 and 2 workers, into folders of their own under `root`."
    experiments, figures = root / "experiments", root / "figures"
    timed_cli("train", *MATRIX, "--workers", 2, "--output-root", experiments)  # resumes: nothing to do where it is done
    timed_cli("probe", "--preset", "smoke", "--workers", 2, "--experiments-root", experiments, "--figures-root", figures)
    return {workers: timed_cli("site", "--experiments-root", experiments, "--figures-root", figures, "--reports-root", root / f"reports-{workers}",
                               "--out", root / f"site-{workers}", "--workers", workers) for workers in (1, 2)}


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--root", type=Path, default=None, help="where the trained and probed runs are (or go); default: a temporary folder")
    args = parser.parse_args()
    before = load()
    with tempfile.TemporaryDirectory() as tmp:
        seconds = site_seconds(args.root or Path(tmp))
    rows = ["| site | wall s | speed-up |", "|---|---|---|"] + [f"| `--workers {w}` | {s:.0f} | {seconds[1] / s:.2f}x |" for w, s in seconds.items()]
    record("The site at SPEC's matrix size (bench_site.py)",
           "SPEC's matrix on the four datasets (360 runs, 120 groups of 3 seeds) trained and probed at the `smoke` sizes, then "
           "`loss-landscape site` (six study notebooks, 120 configuration pages, the nbconvert build), a fresh command each, on the "
           f"same results. Load average (1/5/15 min) before: {before}, after: {load()}.\n\n" + "\n".join(rows))


if __name__ == "__main__":
    main()
