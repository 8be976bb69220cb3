"""Where the time of probing goes: one run and one group (3 seeds) of medium and deep-large at the `full` probe sizes,
one thread (as each worker of the pipeline), profiled with cProfile around the pipeline's own `probe_run` / `probe_group`.

Run: .venv/bin/python bench/bench_probes.py
"""
import cProfile, pstats, sys, tempfile, time
from pathlib import Path
import torch
sys.path.insert(0, str(Path(__file__).parent))
from common import load, record
from loss_landscape.experiments import run_full_matrix
from loss_landscape.experiments.run_probes_and_reports import probe_group, probe_run
from loss_landscape.registry import probe_configs, probes

VARIANTS, SEEDS = ["medium", "deep-large"], "0,1,2"
# (label, module file, function or prefix*): cumulative seconds inside each; indented labels are parts of the line above.
# A part written "A - B" is the time in A outside B.
RUN_PARTS = [("interpolation (81 points)", "interpolation.py", "linear_interpolation_curve"),
             ("1-D slice (101 points)", "random_slice.py", "random_1d_loss_slice"),
             ("2-D slice (41 x 41)", "random_slice.py", "random_2d_loss_surface"),
             ("sharpness (2 balls x 4 radii)", "sharpness.py", "epsilon_sharpness"),
             ("  random samples (200 per radius)", "params.py", "at_points"),
             ("  gradient ascent (40 steps per radius)", "sharpness.py", "_max_loss - params.py:at_points"),
             ("Hessian", "hessian.py", "hessian_spectrum"),
             ("  top-10 and bottom (Lanczos)", "hessian.py", "top_eigenvalues"),
             ("  trace (50 Hutchinson probes)", "hessian.py", "hutchinson_trace"),
             ("  density (8 SLQ runs x 60 steps)", "hessian.py", "spectral_density"),
             ("figures: drawing", "visualize.py", "plot_*"),
             ("figures: saving", "plotting.py", "save_figure"),
             ("loading checkpoints", "train_model.py", "load_model")]
GROUP_PARTS = [("connectivity (3 pairs)", "connectivity.py", "connect_pair"),
               ("  weight matching", "connectivity.py", "weight_matching"),
               ("  Bezier training (1000 steps each)", "connectivity.py", "train_bezier"),
               ("  paths (3 x 41 points each)", "connectivity.py", "_path"),
               ("PCA plane (41 x 41)", "pca.py", "pca_surface"),
               ("figures: drawing", "visualize.py", "plot_*"),
               ("figures: saving", "plotting.py", "save_figure"),
               ("loading trajectories", "run_probes_and_reports.py", "_group_models")]


def cumulative(stats: pstats.Stats, file: str, function: str) -> float:
    "Seconds spent inside `function` of `file` (or every function named `prefix*`), calls to itself counted once."
    if " - " in function:
        function, excluded = function.split(" - ")
        return cumulative(stats, file, function) - cumulative(stats, *excluded.split(":"))
    matches = (lambda name: name.startswith(function[:-1])) if function.endswith("*") else (lambda name: name == function)
    return sum(ct for (path, _, name), (_, _, _, ct, _) in stats.stats.items() if path.endswith(file) and matches(name))


def profiled(fn, **kwargs) -> tuple[float, pstats.Stats]:
    profile = cProfile.Profile()
    start = time.perf_counter()
    profile.runcall(fn, **kwargs)
    return time.perf_counter() - start, pstats.Stats(profile)


def parts_table(title: str, parts, results: dict) -> list[str]:
    rows = [f"| {title} | " + " | ".join(f"{arch} s | share" for arch in results) + " |", "|---" * (1 + 2 * len(results)) + "|"]
    for label, file, function in parts:
        cells = [f"{cumulative(stats, file, function):.2f} | {cumulative(stats, file, function) / total:.0%}" for total, stats in results.values()]
        rows.append(f"| {label.replace('  ', '&nbsp;&nbsp;')} | " + " | ".join(cells) + " |")
    rows.append("| **total (wall)** | " + " | ".join(f"**{total:.2f}** | 100%" for total, _ in results.values()) + " |")
    return rows


def main():
    torch.set_num_threads(1)
    before = load()
    configs = probe_configs("full")
    with tempfile.TemporaryDirectory() as tmp:
        experiments, figures = Path(tmp) / "experiments", Path(tmp) / "figures"
        run_full_matrix.main(["--preset", "full", "--archs", ",".join(VARIANTS), "--activations", "relu", "--optimizers", "sgd",
                              "--seeds", SEEDS, "--output-root", str(experiments), "--workers", "1"])
        torch.use_deterministic_algorithms(False)  # as in a fresh `loss-landscape probe` process
        runs, groups = {}, {}
        for arch in VARIANTS:
            group = next(experiments.glob(f"dataset=moons/arch={arch}/act=relu/opt=sgd"))
            out = figures / group.relative_to(experiments)
            runs[arch] = profiled(probe_run, run_dir=str(group / "seed=0"), figures_dir=str(out / "seed=0"), configs=configs,
                                  todo=[p.name for p in probes("run")])
            groups[arch] = profiled(probe_group, group_dir=str(group), figures_dir=str(out), run_dirs=[str(r) for r in sorted(group.glob("seed=*"))],
                                    configs=configs, todo=[p.name for p in probes("group")])
            print(arch, f"run {runs[arch][0]:.1f} s, group {groups[arch][0]:.1f} s", flush=True)
    body = (f"Moons, ReLU, SGD, trained with the `full` matrix settings; probed with `probe_configs(\"full\")`, 1 thread, "
            f"in one process under cProfile (its overhead included). Load average (1/5/15 min) before: {before}, after: {load()}.\n\n"
            + "\n".join(parts_table("one run: probe", RUN_PARTS, runs)) + "\n\n" + "\n".join(parts_table("one group: probe", GROUP_PARTS, groups)))
    record("Probing at the full sizes (bench_probes.py)", body)


if __name__ == "__main__":
    main()
