"""A 51 x 51 filter-normalized loss plane on 1,000 training points: this project's evaluator against loss-landscapes'
`random_plane` and against the time of the same matrix products alone, at 1 and 2 threads.

Run: .venv/bin/python bench/bench_surface.py   (the comparison needs the `bench` extra: pip install -e ".[bench]")
"""
import math, sys
from pathlib import Path
import torch
sys.path.insert(0, str(Path(__file__).parent))
from common import best_time, interleaved_best, load, record, trained_model
from loss_landscape.data.datasets import make_dataset
from loss_landscape.landscape.params import ParameterEvaluator, flat_parameters, make_directions, parameters_of, reference_evaluate
from loss_landscape.utils.configs import DatasetConfig

RESOLUTION, REPEAT, VARIANTS, THREADS = 51, 3, ["shallow-small", "medium", "deep-large"], (1, 2)


def our_plane(model, x, y, grid):
    "Loss over the plane of two filter-normalized directions, as the slices chapter computes it (training loss only)."
    evaluator = ParameterEvaluator(model, {"train": (x, y)}, metrics=("loss",))
    theta = flat_parameters(model)
    directions = make_directions(parameters_of(model), k=2)
    return evaluator.on_span(theta, directions.vectors, grid)["train_loss"]


def their_plane(model, x, y):
    "The same with loss-landscapes, as its README shows: the model stepped in place, one forward pass per point."
    import loss_landscapes
    from loss_landscapes.metrics import Loss
    return loss_landscapes.random_plane(model, Loss(torch.nn.CrossEntropyLoss(), x, y), distance=1, steps=RESOLUTION,
                                        normalization="filter", deepcopy_model=True)


def matmuls_alone(model, n_points: int, chunk_size: int, n: int):
    "A function that runs only the plane's matrix products: every layer's W (out x in) times h (in x n), chunk by chunk."
    shapes = [layer.weight.shape for layer in model.layers]
    chunks = [min(chunk_size, n_points - i) for i in range(0, n_points, chunk_size)]
    operands = [(torch.randn(chunk_size, o, i), torch.randn(chunk_size, i, n), torch.empty(chunk_size, o, n)) for o, i in shapes]
    def run():
        for p in chunks:
            for W, h, out in operands: torch.bmm(W[:p], h[:p], out=out[:p])
    return run


def gemm_rate() -> float:
    "Measured FLOP/s of a large float32 matrix product with the current thread count."
    a, b = torch.randn(2048, 2048), torch.randn(2048, 2048)
    return 2 * 2048**3 / best_time(lambda: a @ b, repeat=5)


def contenders_table(data, grid) -> str:
    rows = ["| variant | params | threads | this project s | loss-landscapes s | speed-up | matmuls alone s | this project / matmuls | GFLOP/s (large GEMM) |",
            "|---|---|---|---|---|---|---|---|---|"]
    x, y = data.x_train, data.y_train
    for arch in VARIANTS:
        model = trained_model(arch, data)
        chunk_size = ParameterEvaluator(model, {"train": (x, y)}).chunk_size
        macs = len(x) * sum(layer.weight.numel() for layer in model.layers)
        for threads in THREADS:
            torch.set_num_threads(threads)
            t = interleaved_best({"ours": lambda: our_plane(model, x, y, grid), "theirs": lambda: their_plane(model, x, y),
                                  "matmuls": matmuls_alone(model, len(grid), chunk_size, len(x))}, REPEAT)
            flops = 2 * macs * len(grid) / t["ours"]
            rows.append(f"| {arch} | {flat_parameters(model).numel()} | {threads} | {t['ours']:.3f} | {t['theirs']:.3f} | "
                        f"{t['theirs'] / t['ours']:.1f}x | {t['matmuls']:.3f} | {t['ours'] / t['matmuls']:.2f} | {flops / 1e9:.0f} ({gemm_rate() / 1e9:.0f}) |")
            print(rows[-1], flush=True)
    return "\n".join(rows)


def modes_table(data, grid) -> str:
    "The evaluator's strategies and the per-point reference, at the default thread count."
    modes = ["batched", "vmap", "loop"]
    rows = ["| variant | per-point reference s | " + " | ".join(f"{m} s" for m in modes) + " | auto mode |", "|---" * (3 + len(modes)) + "|"]
    splits = {"train": (data.x_train, data.y_train)}
    for arch in VARIANTS:
        model = trained_model(arch, data)
        theta, basis = flat_parameters(model), make_directions(parameters_of(model), k=2).vectors
        times = interleaved_best({m: lambda m=m: ParameterEvaluator(model, splits, mode=m).on_span(theta, basis, grid) for m in modes}, repeat=1)
        reference = best_time(lambda: reference_evaluate(model, theta + grid @ basis, *splits["train"]), repeat=1)
        rows.append(f"| {arch} | {reference:.3f} | " + " | ".join(f"{times[m]:.3f}" for m in modes) + f" | {ParameterEvaluator(model, splits).mode} |")
        print(rows[-1], flush=True)
    return "\n".join(rows)


def main():
    data = make_dataset(DatasetConfig(n_train=1000, n_test=1000))
    axis = torch.linspace(-1, 1, RESOLUTION)
    grid = torch.cartesian_prod(axis, axis)
    threads, before = torch.get_num_threads(), load()
    contenders = contenders_table(data, grid)
    torch.set_num_threads(threads)
    modes = modes_table(data, grid)
    record("Loss surface evaluation (bench_surface.py)",
           f"{RESOLUTION}x{RESOLUTION} = {len(grid)} points of a filter-normalized plane, {len(data.x_train)} moons training points, "
           "cross-entropy, models trained with the default TrainingConfig (seed 0). Wall seconds, best of "
           f"{REPEAT} rounds that take the contenders in turn. Load average (1/5/15 min) before: {before}, after: {load()}.\n\n"
           "*this project*: `make_directions` + `ParameterEvaluator(metrics=(\"loss\",)).on_span`. *loss-landscapes*: "
           "`random_plane(steps=51, normalization=\"filter\")` with its `Loss` metric. *matmuls alone*: the bound, the same "
           "matrix products as the evaluator's (every layer's weights times its input, for every point, in the evaluator's "
           "chunks) on preallocated tensors, with no bias, activation, point construction or loss. The last column is the "
           "evaluator's rate and, in brackets, that of one 2048 x 2048 product.\n"
           "Targets: at least 2x faster than loss-landscapes; medium and deep-large within 1.5x of the matmuls alone.\n\n"
           + contenders + f"\n\nThe evaluator's strategies at {threads} threads (same plane and points; the reference copies "
           "each point into the module and calls it):\n\n" + modes)


if __name__ == "__main__":
    main()
