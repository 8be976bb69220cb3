"""What a process pays before it trains or probes. Every command of the pipeline, and every worker and kernel it starts,
is a fresh interpreter: its imports are paid again each time. Two steps are timed in fresh interpreters, side by side
with the way they were done before: the moons drawn by scikit-learn (which imports SciPy's statistics), and the Student
t quantile from `scipy.stats`. Then one smoke run trained, and probed, by the command line; with `--before REV`, side
by side with the package as it was at git revision REV (a worktree of it put first on PYTHONPATH).

Run: .venv/bin/python bench/bench_startup.py [--before REV] (needs the dev extra: scikit-learn)
"""
import argparse, os, subprocess, sys, tempfile, time
from pathlib import Path
sys.path.insert(0, str(Path(__file__).parent))
from common import ROOT, load, record

STEPS = {  # what: (before, now), each a fresh interpreter's whole program
    "draw 1,000 moons (PyTorch loaded either way)": (
        "import torch; from sklearn.datasets import make_moons; make_moons(1000, noise=0.1, random_state=0)",
        "from loss_landscape.data.datasets import make_moons; make_moons(1000, 0.1, 0)"),
    "Student t quantile of the Hutchinson interval": (
        "from scipy import stats; stats.t.ppf(0.975, 9)",
        "from scipy.special import stdtrit; stdtrit(9, 0.975)"),
}
ONE_RUN = ["--preset", "smoke", "--seeds", "0", "--optimizers", "sgd"]


def importing(package: Path | None) -> dict:
    "The environment of a process that imports `loss_landscape` from the folder `package` (None: this checkout, as installed)."
    return os.environ | ({"PYTHONPATH": os.pathsep.join(filter(None, [str(package), os.environ.get("PYTHONPATH")]))} if package else {})


def fresh(program: str, *args, package: Path | None = None) -> float:
    "Wall seconds of `python -c program ARGS` in a fresh interpreter (importing the package found in `package`, if given)."
    env = importing(package)
    start = time.perf_counter()  # run outside the checkout: `python -c` puts its folder first on sys.path
    subprocess.run([sys.executable, "-c", program, *map(str, args)], cwd=tempfile.gettempdir(), env=env, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return time.perf_counter() - start


def best_of(contenders: dict, repeat: int) -> dict:
    "Best wall seconds of each fresh-interpreter program over `repeat` rounds that take them in turn (after a warm-up round)."
    best = {name: float("inf") for name in contenders}
    for round in range(repeat + 1):
        for name, program in contenders.items():
            seconds = fresh(program)
            if round: best[name] = min(best[name], seconds)
    return best


CLI = "from loss_landscape.cli import main; main()"


def commands(packages: dict, repeat: int) -> dict:
    "Best wall seconds of the train and the probe command on one smoke run into an empty root, for each package (None: this checkout), in turn."
    best = {(name, step): float("inf") for name in packages for step in ("train", "probe")}
    for _ in range(repeat):
        for name, package in packages.items():
            with tempfile.TemporaryDirectory() as tmp:
                seconds = fresh(CLI, "train", *ONE_RUN, "--output-root", f"{tmp}/experiments", package=package)
                best[name, "train"] = min(best[name, "train"], seconds)
                seconds = fresh(CLI, "probe", *ONE_RUN[:2], "--experiments-root", f"{tmp}/experiments", "--figures-root", f"{tmp}/figures", package=package)
                best[name, "probe"] = min(best[name, "probe"], seconds)
    return best


def command_rows(before: str | None, repeat: int = 3) -> str:
    "The commands' table: this checkout, and the package at revision `before` beside it."
    if before is None:
        best = commands({"now": None}, repeat)
        return f"One smoke run by the command line (best of {repeat}, fresh roots): `train` {best['now', 'train']:.1f} s, `probe` {best['now', 'probe']:.1f} s."
    with tempfile.TemporaryDirectory() as tmp:
        tree = Path(tmp) / "before"
        subprocess.run(["git", "worktree", "add", "--detach", "-q", str(tree), before], cwd=ROOT, check=True)
        try:
            found = subprocess.run([sys.executable, "-c", "import loss_landscape; print(loss_landscape.__file__)"], cwd=tmp,
                                   env=importing(tree), capture_output=True, text=True, check=True).stdout
            assert found.startswith(str(tree)), f"the package at {before} is not the one imported: {found}"
            best = commands({"before": tree, "now": None}, repeat)
        finally: subprocess.run(["git", "worktree", "remove", "--force", str(tree)], cwd=ROOT, check=True)
    rows = [f"| `{step}` | {best['before', step]:.1f} | {best['now', step]:.1f} | {best['before', step] / best['now', step]:.2f}x |" for step in ("train", "probe")]
    return (f"One smoke run by the command line, into fresh roots, the package at `{before}` and this checkout in turn (best of {repeat}):\n\n"
            f"| command | at {before}, s | now, s | speed-up |\n|---|---|---|---|\n" + "\n".join(rows))


def main(repeat: int = 5):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--before", default=None, help="a git revision to time the commands against")
    args = parser.parse_args()
    before = load()
    programs = {"python": "pass", "torch": "import torch"} | {(what, way): program for what, pair in STEPS.items() for way, program in zip(("before", "now"), pair)}
    best = best_of(programs, repeat)  # all in one rotation, so that a change of load touches each alike
    rows = [f"| {what} | {best[what, 'before']:.2f} | {best[what, 'now']:.2f} | {best[what, 'before'] - best[what, 'now']:.2f} |" for what in STEPS]
    runs = command_rows(args.before)
    record("Start-up of a process (bench_startup.py)",
           f"Fresh interpreters, best of {repeat} interleaved rounds after a warm-up round. An empty interpreter starts in "
           f"{best['python']:.2f} s; `import torch` takes {best['torch']:.2f} s. Load average (1/5/15 min) before: {before}, after: {load()}.\n\n"
           "| step, whole program | before, s | now, s | saved, s |\n|---|---|---|---|\n" + "\n".join(rows) + "\n\n" + runs)


if __name__ == "__main__":
    main()
