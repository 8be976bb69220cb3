"""Cost of tracking the top Hessian eigenvalue every epoch while training the medium variant.

Run: .venv/bin/python bench/bench_tracking.py
"""
import sys, time
from pathlib import Path
import numpy as np
sys.path.insert(0, str(Path(__file__).parent))
from common import record
from loss_landscape.data.datasets import make_dataset
from loss_landscape.experiments.train_model import build_model, sharpness_tracker, train_model
from loss_landscape.models.mlp import get_predefined_model_config
from loss_landscape.utils.configs import DatasetConfig, TrainingConfig


def train_seconds(config, data, repeat=5):
    best = float("inf")
    for _ in range(repeat):
        model = build_model(get_predefined_model_config("medium"), 0)
        start = time.perf_counter()
        metrics = train_model(model, data, config, on_epoch_end=sharpness_tracker(data, config))
        best = min(best, time.perf_counter() - start)
    return best, metrics


def main():
    data = make_dataset(DatasetConfig())
    rows = ["| optimizer | tracking | seconds | overhead | mean HVPs per measurement |", "|---|---|---|---|---|"]
    for optimizer, lr in [("sgd", 0.05), ("adam", 0.01)]:
        base = TrainingConfig(optimizer=optimizer, learning_rate=lr, checkpoint_every=0)
        plain, _ = train_seconds(base, data)
        tracked, metrics = train_seconds(base.replace(track_sharpness_every=1), data)
        hvps = np.mean([s["hvp_count"] for s in metrics["sharpness"]])
        rows += [f"| {optimizer} | off | {plain:.2f} | | |", f"| {optimizer} | every epoch, {base.sharpness_subset} points | {tracked:.2f} | {100 * (tracked / plain - 1):.0f}% | {hvps:.1f} |"]
        print(rows[-2], rows[-1], sep="\n", flush=True)
    record("Sharpness tracking (bench_tracking.py)",
           "medium variant, 1,000 moons points, default training (80 epochs, batch 64); best of 5. Target: at most 30% extra.\n\n" + "\n".join(rows))


if __name__ == "__main__":
    main()
