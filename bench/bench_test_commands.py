"""The commands the tests run, started two ways: a fresh interpreter for each (`python -c "...main()" ARGS`), and a
process forked from a warm interpreter that has loaded PyTorch, SciPy, matplotlib and nbformat once (`tests/conftest.py`'s
`cli`, `tests/warm_commands.py`). Four commands on one smoke run into an empty root: a refused option (start-up alone),
train, probe, report. Both ways must write the same bytes.

Run: .venv/bin/python bench/bench_test_commands.py (needs the dev extra: pytest)
"""
import sys, tempfile, time
from pathlib import Path
sys.path.insert(0, str(Path(__file__).parent))
from common import ROOT, load, record
sys.path.insert(0, str(ROOT / "tests"))
import conftest

ONE_RUN = ["--preset", "smoke", "--seeds", "0", "--optimizers", "sgd"]
STEPS = {"a refused option (`train --device cuda`)": lambda root: ["train", "--device", "cuda", "--output-root", root / "refused"],
         "`train` (one smoke run)": lambda root: ["train", *ONE_RUN, "--output-root", root / "experiments"],
         "`probe`": lambda root: ["probe", *ONE_RUN[:2], "--experiments-root", root / "experiments", "--figures-root", root / "figures"],
         "`report`": lambda root: ["report", "--experiments-root", root / "experiments", "--figures-root", root / "figures", "--reports-root", root]}


def timed_steps(run, root: Path) -> dict:
    "Wall seconds of each step, run by `run` in turn into `root`; a step that should succeed and fails raises."
    seconds = {}
    for step, args in STEPS.items():
        start = time.perf_counter()
        done = run(*args(root))
        seconds[step] = time.perf_counter() - start
        if done.returncode != (2 if "refused" in step else 0): raise RuntimeError(f"{step}: exit {done.returncode}\n{done.stderr[-2000:]}")
    return seconds


def main(repeat: int = 3):
    before = load()
    contenders = {"fresh": conftest.fresh_cli, "warm": conftest.cli}
    best = {(name, step): float("inf") for name in contenders for step in STEPS}
    digests = {}
    for round in range(repeat + 1):  # a warm-up round (it starts the warm interpreter), then the contenders in turn
        for name, run in contenders.items():
            with tempfile.TemporaryDirectory() as tmp:
                for step, seconds in timed_steps(run, Path(tmp)).items():
                    if round: best[name, step] = min(best[name, step], seconds)
                digests[name] = conftest.tree_digest(tmp)
    if digests["fresh"] != digests["warm"]: raise RuntimeError("the warm interpreter's commands wrote other bytes")
    rows = ["| command | fresh interpreter s | forked from a warm one s | speed-up |", "|---|---|---|---|"]
    for step in [*STEPS, "all four"]:
        f, w = (sum(best[n, s] for s in STEPS) if step == "all four" else best[n, step] for n in contenders)
        rows.append(f"| {step} | {f:.2f} | {w:.2f} | {f / w:.1f}x |")
    record("Commands in the tests (bench_test_commands.py)",
           f"One smoke run (moons, shallow-small, ReLU, SGD) into an empty root, best of {repeat} rounds that take the two ways in turn, "
           f"after a warm-up round; both wrote the same {len(digests['warm'])} files, byte for byte. Load average (1/5/15 min) before: {before}, "
           f"after: {load()}.\n\n" + "\n".join(rows))


if __name__ == "__main__":
    main()
