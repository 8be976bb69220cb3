"""Cost of converged epsilon-sharpness per run at probe-preset sizes, on trained medium and deep-large networks.

Each configuration is timed on the same model (1 thread, as a probing worker runs), with the steps each ball took and
whether every maximum converged before its cap.
Run: .venv/bin/python bench/bench_sharpness.py
"""
import sys, time
from pathlib import Path
import torch
sys.path.insert(0, str(Path(__file__).parent))
from common import record
from loss_landscape.data.datasets import make_dataset
from loss_landscape.experiments.train_model import build_model, train_model
from loss_landscape.landscape.params import flat_parameters
from loss_landscape.landscape.sharpness import epsilon_sharpness
from loss_landscape.models.mlp import get_predefined_model_config
from loss_landscape.utils.configs import DatasetConfig, SharpnessConfig, TrainingConfig

CONFIGS = {  # the full preset's sharpness sizes before the maximization converged, the defaults, and lighter settings
    "n_samples=200, ascent_steps=40": SharpnessConfig(n_samples=200, ascent_steps=40),
    "defaults (n_samples=100, restarts=4, box=True)": SharpnessConfig(),
    "n_samples=50, box=False": SharpnessConfig(n_samples=50, box=False),
    "n_samples=50, restarts=2, box=False": SharpnessConfig(n_samples=50, restarts=2, box=False),
}


def main():
    torch.set_num_threads(1)
    data = make_dataset(DatasetConfig())
    rows = ["| variant | params | settings | seconds | steps (layer / adaptive / box) | all converged | sharpness at the largest epsilon (layer, adaptive, box) |",
            "|---|---|---|---|---|---|---|"]
    for arch in ["medium", "deep-large"]:
        model = build_model(get_predefined_model_config(arch), seed=0)
        train_model(model, data, TrainingConfig(checkpoint_every=0))
        model.eval()
        theta = flat_parameters(model)
        for name, config in CONFIGS.items():
            start = time.perf_counter()
            result = epsilon_sharpness(model, theta, data.x_train, data.y_train, config)
            seconds = time.perf_counter() - start
            steps = " / ".join(str(sum(result.steps[ball])) for ball in result.steps)
            box = f"{result.box_sharpness[-1]:.4g}" if result.box_sharpness is not None else "-"
            rows.append(f"| {arch} | {theta.numel()} | {name} | {seconds:.1f} | {steps} | {all(all(c) for c in result.converged.values())} | "
                        f"{result.sharpness[-1]:.4g}, {result.adaptive_sharpness[-1]:.4g}, {box} |")
            print(rows[-1], flush=True)
    record("Epsilon-sharpness (bench_sharpness.py)",
           "Models trained on moons (1,000 points, default training); default radii (1e-3, 5e-3, 1e-2, 5e-2); 1 thread. Steps are summed over "
           "the four radii (L-BFGS-B iterations in the box).\n\n" + "\n".join(rows))


if __name__ == "__main__":
    main()
