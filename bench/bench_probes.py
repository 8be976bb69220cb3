"""Where the time of probing goes: one run and one group (3 seeds) of medium and deep-large at the `full` probe sizes,
one thread (as each worker of the pipeline), profiled with cProfile around the pipeline's own `probe_run` / `probe_group`.

Run: .venv/bin/python bench/bench_probes.py
"""
import cProfile, math, pstats, sys, tempfile, time
from pathlib import Path
import torch
sys.path.insert(0, str(Path(__file__).parent))
from common import load, record
from loss_landscape.experiments import run_full_matrix
from loss_landscape.experiments.run_probes_and_reports import probe_group, probe_run
from loss_landscape.landscape.hessian import eigenvalues_in_float64
from loss_landscape.registry import PROBES, probe_configs, probes
from loss_landscape.utils.configs import ARCHITECTURES, DATASETS

VARIANTS, SEEDS = ARCHITECTURES, "0,1,2"
# SPEC's matrix on its four datasets: per variant, 3 activations x 2 optimizers x 3 seeds runs in groups of 3 seeds
RUNS_PER_VARIANT, GROUPS_PER_VARIANT, WORKERS = len(DATASETS) * 3 * 2 * 3, len(DATASETS) * 3 * 2, 2


def run_parts(c: dict) -> list:
    "(label, module file, function or prefix*) of a run's probes, labelled from the settings `c`; indented labels are parts of the line above."
    sl, sh, he = c["slice"], c["sharpness"], c["hessian"]
    balls = "2 balls" + (" and the box" if sh["box"] else "")
    config = PROBES["hessian"].configure(c)
    dtype = "float64" if config.float64 else "float32, certified in float64," if eigenvalues_in_float64(config) else "float32"
    return [(f"interpolation ({c['interpolation']['n_points']} points)", "interpolation.py", "linear_interpolation_curve"),
            (f"1-D slice ({sl['resolution_1d']} points)", "random_slice.py", "random_1d_loss_slice"),
            (f"2-D slice ({sl['resolution_2d']} x {sl['resolution_2d']})", "random_slice.py", "random_2d_loss_surface"),
            (f"sharpness ({balls} x {len(sh['epsilons'])} radii)", "sharpness.py", "epsilon_sharpness"),
            (f"  maxima ({sh['restarts']} ascents per ball and radius, at most {sh['ascent_steps']} steps)", "sharpness.py", "ball_maximum"),
            (f"  random boundary samples ({sh['n_samples']} per radius)", "params.py", "at_points"),
            ("Hessian", "hessian.py", "hessian_spectrum"),
            (f"  top-{he['top_k']} and bottom ({he['method']}, {dtype} products at tol {he['tol']:g})", "hessian.py", "top_eigenvalues"),
            (f"  trace ({he['n_probes']} Hutchinson probes)", "hessian.py", "hutchinson_trace"),
            (f"  density ({he['density_runs']} SLQ runs x {he['density_steps']} steps)", "hessian.py", "spectral_density"),
            ("figures: drawing", "visualize.py", "plot_*"),
            ("figures: saving", "plotting.py", "save_figure"),
            ("loading checkpoints", "runs.py", "load_model")]


def group_parts(c: dict) -> list:
    "The same for a group's probes."
    co, pca, pairs = c["connectivity"], c["pca"]["resolution"], math.comb(len(SEEDS.split(",")), 2)
    return [(f"connectivity ({pairs} pairs)", "connectivity.py", "connect_pair"),
            ("  weight matching", "connectivity.py", "weight_matching"),
            (f"  Bezier training ({co['bezier_steps']} steps each)", "connectivity.py", "train_bezier"),
            (f"  paths ({pairs} x {co['n_points']} points each)", "connectivity.py", "_path"),
            (f"PCA plane ({pca} x {pca})", "pca.py", "pca_surface"),
            ("figures: drawing", "visualize.py", "plot_*"),
            ("figures: saving", "plotting.py", "save_figure"),
            ("loading trajectories", "runs.py", "load_trajectory")]


def cumulative(stats: pstats.Stats, file: str, function: str) -> float:
    "Seconds spent inside `function` of `file` (or every function named `prefix*`), calls to itself counted once."
    matches = (lambda name: name.startswith(function[:-1])) if function.endswith("*") else (lambda name: name == function)
    return sum(ct for (path, _, name), (_, _, _, ct, _) in stats.stats.items() if path.endswith(file) and matches(name))


def wall(fn, *args) -> float:
    "Wall seconds of `fn(*args)`."
    start = time.perf_counter()
    fn(*args)
    return time.perf_counter() - start


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


def matrix_estimate(plain: dict) -> list[str]:
    "What probing SPEC's 360-run matrix would take at these sizes: each variant's run and group times times their counts, shared by the workers."
    rows = ["| variant | one run s | one group s | runs | groups | one worker s |", "|---|---|---|---|---|---|"]
    total = 0.0
    for arch, (run, group) in plain.items():
        work = RUNS_PER_VARIANT * run + GROUPS_PER_VARIANT * group
        total += work
        rows.append(f"| {arch} | {run:.1f} | {group:.1f} | {RUNS_PER_VARIANT} | {GROUPS_PER_VARIANT} | {work:.0f} |")
    rows.append(f"| **all** | | | {RUNS_PER_VARIANT * len(plain)} | {GROUPS_PER_VARIANT * len(plain)} | **{total:.0f}** (**{total / WORKERS / 60:.0f} min** on {WORKERS} workers) |")
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
        runs, groups, plain = {}, {}, {}
        for arch in VARIANTS:
            group = next(experiments.glob(f"dataset=moons/arch={arch}/act=relu/opt=sgd"))
            out = figures / group.relative_to(experiments)
            run = lambda to: probe_run(run_dir=str(group / "seed=0"), figures_dir=str(to / "seed=0"), configs=configs, todo=[p.name for p in probes("run")])
            seeds = lambda to: probe_group(group_dir=str(group), figures_dir=str(to), run_dirs=[str(r) for r in sorted(group.glob("seed=*"))],
                                           configs=configs, todo=[p.name for p in probes("group")])
            runs[arch], groups[arch] = profiled(run, to=out), profiled(seeds, to=out)
            plain[arch] = [wall(fn, out.with_name(f"{out.name}-plain")) for fn in (run, seeds)]  # again, without the profiler
            print(arch, f"run {runs[arch][0]:.1f} s, group {groups[arch][0]:.1f} s; without the profiler {plain[arch][0]:.1f} s, {plain[arch][1]:.1f} s", flush=True)
    body = (f"Moons, ReLU, SGD, trained with the `full` matrix settings; probed with `probe_configs(\"full\")`, 1 thread, "
            f"in one process under cProfile (its overhead included). Load average (1/5/15 min) before: {before}, after: {load()}.\n\n"
            + "\n".join(parts_table("one run: probe", run_parts(configs), runs)) + "\n\n" + "\n".join(parts_table("one group: probe", group_parts(configs), groups))
            + "\n\nAn estimate, not a measurement, and a lower bound: probing SPEC's matrix on the four datasets at these sizes, from the "
            "same probes of the moons ReLU/SGD runs timed again without the profiler, as if the two workers never waited. Tanh and "
            "GELU add second-derivative terms to every Hessian product, other datasets converge in other numbers of steps, and "
            "training, reports and site are not included.\n\n" + "\n".join(matrix_estimate(plain)))
    record("Probing at the full sizes (bench_probes.py)", body)


if __name__ == "__main__":
    main()
