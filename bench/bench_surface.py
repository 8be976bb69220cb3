"""A 51 x 51 loss surface on 1,000 training points: the evaluator against a per-point loop and the FLOP bound.

Run: .venv/bin/python bench/bench_surface.py
"""
import math, sys, time
from pathlib import Path
import torch
sys.path.insert(0, str(Path(__file__).parent))
from common import best_time, record
from loss_landscape.data.datasets import make_dataset
from loss_landscape.landscape.params import ParameterEvaluator, flat_parameters, make_directions, parameters_of, reference_evaluate
from loss_landscape.models.mlp import MLPClassifier, get_predefined_model_config
from loss_landscape.utils.configs import DatasetConfig

RESOLUTION, N_POINTS = 51, 1000


def gemm_flops() -> float:
    "Measured FLOP/s of a large float32 matrix product on this machine."
    a, b = torch.randn(2048, 2048), torch.randn(2048, 2048)
    return 2 * 2048**3 / best_time(lambda: a @ b, repeat=5)


def main():
    data = make_dataset(DatasetConfig(n_train=N_POINTS, n_test=N_POINTS))
    grid = torch.linspace(-1, 1, RESOLUTION)
    coefs = torch.cartesian_prod(grid, grid)
    peak = gemm_flops()
    modes = ["batched", "vmap", "loop"]
    rows = ["| variant | params | per-point (a) s | " + " | ".join(f"{m} s" for m in modes) + " | auto mode | speed-up of auto vs (a) | FLOP bound s | auto / bound |",
            "|---" * (8 + len(modes) - 1) + "|"]
    for arch in ["shallow-small", "medium", "deep-large"]:
        model = MLPClassifier(get_predefined_model_config(arch))
        theta = flat_parameters(model)
        basis = make_directions(parameters_of(model), k=2).vectors
        splits = {"train": (data.x_train, data.y_train)}
        times = {mode: best_time(lambda: ParameterEvaluator(model, splits, mode=mode).on_span(theta, basis, coefs), repeat=2)
                 for mode in modes}
        reference = best_time(lambda: reference_evaluate(model, theta + coefs @ basis, data.x_train, data.y_train), repeat=1)
        auto = ParameterEvaluator(model, splits).mode
        macs = N_POINTS * sum(p.numel() for n, p in model.named_parameters() if n.endswith("weight"))
        bound = 2 * len(coefs) * macs / peak
        rows.append(f"| {arch} | {theta.numel()} | {reference:.3f} | " + " | ".join(f"{times[m]:.3f}" for m in modes) +
                    f" | {auto} | {reference / times[auto]:.1f}x | {bound:.3f} | {times[auto] / bound:.2f} |")
    record("Loss surface evaluation (bench_surface.py)",
           f"{RESOLUTION}x{RESOLUTION} = {RESOLUTION**2} points, {N_POINTS} training points, cross-entropy. Measured GEMM: {peak / 1e9:.0f} GFLOP/s.\n"
           "(a) copies each point into the module and calls it. The FLOP bound is 2 x points x multiply-adds per forward / GEMM FLOP/s.\n"
           "Targets: >= 3x faster than (a) on shallow-small; never slower than (a); within 1.5x of the bound on deep-large.\n\n" + "\n".join(rows))


if __name__ == "__main__":
    main()
