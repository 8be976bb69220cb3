"""Cost of tracking the top Hessian eigenvalue every epoch while training the medium variant.

Plain and tracked training alternate, so that both see the same machine state; the best of REPEAT runs of each is kept.
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

REPEAT = 7


def train_seconds(config, data):
    "Wall seconds of one training run of the medium variant, and its metrics."
    model = build_model(get_predefined_model_config("medium"), 0)
    start = time.perf_counter()
    metrics = train_model(model, data, config, on_epoch_end=sharpness_tracker(data, config))
    return time.perf_counter() - start, metrics


def compare(base, tracked, data):
    "Best plain and tracked seconds over alternating runs, and the tracked run's metrics."
    plain_best = tracked_best = float("inf")
    for _ in range(REPEAT):
        plain_best = min(plain_best, train_seconds(base, data)[0])
        seconds, metrics = train_seconds(tracked, data)
        tracked_best = min(tracked_best, seconds)
    return plain_best, tracked_best, metrics


def main():
    data = make_dataset(DatasetConfig())
    default_subset = TrainingConfig().sharpness_subset
    rows = ["| optimizer | subset (points) | plain s | tracked s | overhead | products per measurement |", "|---|---|---|---|---|---|"]
    for optimizer, lr in [("sgd", 0.05), ("adam", 0.01)]:
        base = TrainingConfig(optimizer=optimizer, learning_rate=lr, checkpoint_every=0)
        for subset in [default_subset, 256, len(data.x_train)]:
            plain, tracked, metrics = compare(base, base.replace(track_sharpness_every=1, sharpness_subset=subset), data)
            products = np.mean([s["hvp_count"] for s in metrics["sharpness"]])
            label = f"{subset} (default)" if subset == default_subset else f"{subset}" + (" (all)" if subset == len(data.x_train) else "")
            rows.append(f"| {optimizer} | {label} | {plain:.3f} | {tracked:.3f} | {100 * (tracked / plain - 1):.0f}% | {products:.1f} |")
            print(rows[-1], flush=True)
    record("Sharpness tracking (bench_tracking.py)",
           f"medium variant, 1,000 moons points, default training (80 epochs, batch 64), top eigenvalue every epoch; "
           f"best of {REPEAT} alternating runs. Target: at most 30% extra on the default subset.\n\n" + "\n".join(rows))


if __name__ == "__main__":
    main()
