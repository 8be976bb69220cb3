"""End to end: `loss-landscape all --preset quick`, and probing SPEC's full moons matrix with 1 and 2 workers.

Run: .venv/bin/python bench/bench_pipeline.py
"""
import sys, tempfile
from pathlib import Path
sys.path.insert(0, str(Path(__file__).parent))
from common import record, timed_cli


def main():
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


if __name__ == "__main__":
    main()
