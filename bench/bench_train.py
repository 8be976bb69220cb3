"""Training throughput: the quick preset and SPEC's full moons matrix (5 archs x 3 activations x 2 optimizers x 3 seeds),
with 1 and 2 local workers, through the real command line.

Run: .venv/bin/python bench/bench_train.py
"""
import sys, tempfile
from pathlib import Path
sys.path.insert(0, str(Path(__file__).parent))
from common import record, timed_cli


def main():
    rows = ["| matrix | runs | workers | wall s | runs / s |", "|---|---|---|---|---|"]
    for preset, runs in [("quick", 16), ("full", 90)]:
        for workers in (1, 2):
            with tempfile.TemporaryDirectory() as tmp:
                seconds = timed_cli("train", "--preset", preset, "--workers", workers, "--output-root", Path(tmp) / "experiments")
                accuracy = min_train_accuracy(Path(tmp) / "experiments")
            rows.append(f"| {preset} (min final train accuracy {accuracy:.3f}) | {runs} | {workers} | {seconds:.1f} | {runs / seconds:.2f} |")
            print(rows[-1], flush=True)
    record("Training the matrix (bench_train.py)",
           "Wall time of `run_full_matrix` (process start included). Target: the full moons matrix in under 5 minutes on 2 cores, "
           "every architecture at >= 95% training accuracy (moons, noise 0.2).\n\n" + "\n".join(rows))


def min_train_accuracy(root: Path) -> float:
    import json
    return min(json.loads(p.read_text())["train_acc"][-1] for p in root.rglob("metrics.json"))


if __name__ == "__main__":
    main()
