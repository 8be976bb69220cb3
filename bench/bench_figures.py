"""Saving figures: matplotlib's tight bounding box, which lays every figure out twice (once to measure it, once to
draw it), against `plotting.cropped_png`, which draws it once on a larger canvas and crops it by its pixels. The
figures are those of one smoke run and its group (every probe's) and of its configuration page (training curves,
decision functions along paths). Each figure is built afresh for each contender, and only the saving is timed: best
of 3 rounds that take the contenders in turn.

Run: .venv/bin/python bench/bench_figures.py
"""
import io, subprocess, sys, tempfile, time
from pathlib import Path
import numpy as np
sys.path.insert(0, str(Path(__file__).parent))
from common import ROOT, load, record
import matplotlib.pyplot as plt
from PIL import Image
from loss_landscape import registry, runs
from loss_landscape.landscape import decisions
from loss_landscape.landscape.visualizations.visualize import plot_path_decisions
from loss_landscape.reports.dynamics import plot_training_curves, training_curves
from loss_landscape.reports.pages import GRID, run_decision_rows
from loss_landscape.utils import plotting

CLI = "from loss_landscape.cli import main; main()"
ONE_GROUP = ["--preset", "smoke", "--seeds", "0,1", "--optimizers", "sgd"]


def smoke_root(tmp: Path) -> tuple[Path, Path]:
    "One group of two seeds, trained and probed at the smoke sizes."
    experiments, figures = tmp / "experiments", tmp / "figures"
    for args in (["train", *ONE_GROUP, "--output-root", experiments], ["probe", *ONE_GROUP[:2], "--experiments-root", experiments, "--figures-root", figures]):
        subprocess.run([sys.executable, "-c", CLI, *map(str, args)], cwd=ROOT, check=True, capture_output=True)
    return experiments, figures


def figure_makers(experiments: Path, figures: Path) -> dict:
    "What draws -> a function that builds its figures (a list)."
    run = runs.find_runs(experiments)[0]
    run_folder, group_folder = runs.figures_dir(run, experiments, figures), runs.figures_dir(run.parent, experiments, figures)
    makers = {}
    for name, probe in registry.PROBES.items():
        folder = run_folder if probe.scope == "run" else group_folder
        if (folder / probe.file).is_file():
            makers[f"probe `{name}`"] = lambda probe=probe, folder=folder: list(probe.plots(probe.load(folder)).values())
    metrics = [runs.load_metrics(r) for r in runs.find_runs(experiments)]
    makers["page: training curves"] = lambda: [plot_training_curves(training_curves(metrics), "mean and range over seeds")]
    solution = runs.load_solution(run)
    x, y = solution.splits["train"]
    xs, ys, points = decisions.input_grid(x, GRID)
    makers["page: decision functions along paths"] = lambda: [plot_path_decisions(run_decision_rows(solution, run_folder, points), xs, ys, x.numpy(), y.numpy(), title="seed=0")]
    return makers


def pixels(content: bytes) -> tuple:
    return np.asarray(Image.open(io.BytesIO(content))).shape[:2]


def save_all(make, save) -> tuple[float, list]:
    "Seconds to save every figure `make()` builds with `save(fig) -> bytes`, and what was saved."
    figs, out = make(), []
    start = time.perf_counter()
    for fig in figs:
        plotting.plain_log_labels(fig)
        out.append(save(fig))
        plt.close(fig)
    return time.perf_counter() - start, out


def main(repeat: int = 3):
    before = load()
    with tempfile.TemporaryDirectory() as tmp:
        makers = figure_makers(*smoke_root(Path(tmp)))
        tight, fallbacks = plotting.tight_bytes, []
        contenders = {"tight box (two layouts)": lambda fig: tight(fig, "png", 110), "cropped (one draw)": lambda fig: plotting.cropped_png(fig, 110)}
        plotting.tight_bytes = lambda *args: (fallbacks.append(args), tight(*args))[1]  # cropped_png falling back
        rows = []
        for what, make in makers.items():
            best, saved = {name: float("inf") for name in contenders}, {}
            for round in range(repeat + 1):  # a warm-up round first
                for name, save in contenders.items():
                    seconds, saved[name] = save_all(make, save)
                    if round: best[name] = min(best[name], seconds)
            if not saved["cropped (one draw)"]: continue  # a probe that draws nothing
            shift = max(max(abs(a - b) for a, b in zip(pixels(t), pixels(c))) for t, c in zip(*saved.values()))
            rows.append((what, len(saved["cropped (one draw)"]), *best.values(), len(fallbacks) // (repeat + 1), shift))
            fallbacks.clear()
        plotting.tight_bytes = tight
    total = [sum(r[i] for r in rows) for i in (1, 2, 3)]
    lines = ["| figures of | figures | tight box s | cropped s | speed-up | cropped the usual way | largest size difference (px) |", "|---|---|---|---|---|---|---|"]
    lines += [f"| {w} | {n} | {a:.3f} | {b:.3f} | {a / b:.2f}x | {f} | {d} |" for w, n, a, b, f, d in rows]
    lines += [f"| **all** | {total[0]} | **{total[1]:.2f}** | **{total[2]:.2f}** | **{total[1] / total[2]:.2f}x** | | |"]
    record("Saving figures (bench_figures.py)",
           f"The PNG figures of one smoke run, its group and its configuration page, each built afresh for each contender; only the saving "
           f"is timed (best of {repeat}, the contenders in turn; 1 process). `cropped the usual way`: figures that `cropped_png` saved with the "
           f"tight box instead (a drawing near the canvas's edge, a frame, an uncertain shape), per round. The size difference is between the two PNGs of a "
           f"figure, in either dimension. Load average (1/5/15 min) before: {before}, after: {load()}.\n\n" + "\n".join(lines))


if __name__ == "__main__":
    main()
