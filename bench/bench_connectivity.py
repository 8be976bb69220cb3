"""Time of weight matching (deep-large) and of one Bezier training, with the barriers they produce.

Run: .venv/bin/python bench/bench_connectivity.py
"""
import sys, time
from pathlib import Path
sys.path.insert(0, str(Path(__file__).parent))
from common import record
from loss_landscape.experiments.train_model import example_model
from loss_landscape.landscape.connectivity import bezier_path, linear_path, permute_hidden_units, train_bezier, weight_matching
from loss_landscape.landscape.params import ParameterEvaluator, ParameterLayout, flat_parameters, parameters_of
from loss_landscape.utils.configs import ConnectivityConfig


def main():
    rows = ["| variant | params | weight matching s | Bezier training s (steps) | barrier naive | aligned | Bezier |", "|---|---|---|---|---|---|---|"]
    for arch in ["shallow-wide", "deep-large"]:
        (a, data, _), (b, _, _) = example_model(arch, seed=0, epochs=40, n=1000), example_model(arch, seed=1, epochs=40, n=1000)
        splits = {"train": (data.x_train, data.y_train), "test": (data.x_test, data.y_test)}
        layout, evaluator = ParameterLayout.of(a), ParameterEvaluator(a, splits)
        start = time.perf_counter()
        perms = weight_matching(parameters_of(a), parameters_of(b))
        matching = time.perf_counter() - start
        theta_a, theta_b = flat_parameters(a), flat_parameters(b)
        aligned = layout.flatten(permute_hidden_units(layout.unflatten(theta_b), perms))
        config = ConnectivityConfig()
        start = time.perf_counter()
        theta_c = train_bezier(a, theta_a, aligned, data.x_train, data.y_train, config)
        bezier = time.perf_counter() - start
        barriers = [linear_path(evaluator, theta_a, theta_b, 21).barrier, linear_path(evaluator, theta_a, aligned, 21).barrier,
                    bezier_path(evaluator, theta_a, theta_c, aligned, 21).barrier]
        rows.append(f"| {arch} | {layout.size} | {matching:.3f} | {bezier:.2f} ({config.bezier_steps}) | " + " | ".join(f"{b:.4f}" for b in barriers) + " |")
        print(rows[-1], flush=True)
    record("Connectivity (bench_connectivity.py)", "Two seeds trained 40 epochs on 1,000 moons points; default ConnectivityConfig.\n\n" + "\n".join(rows))


if __name__ == "__main__":
    main()
