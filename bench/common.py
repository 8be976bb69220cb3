"Helpers shared by the benchmarks: timing, machine description, and the results file."
import datetime, os, platform, re, subprocess, sys, time
from pathlib import Path
import torch

RESULTS = Path(__file__).with_name("RESULTS.md")


def best_time(fn, repeat: int = 3) -> float:
    "Best wall time of `repeat` calls, in seconds (after one warm-up call)."
    fn()
    times = []
    for _ in range(repeat):
        start = time.perf_counter(); fn(); times.append(time.perf_counter() - start)
    return min(times)


def interleaved_best(contenders: dict, repeat: int = 3) -> dict:
    "Best wall seconds of each contender over `repeat` rounds that take them in turn (after one warm-up round)."
    best = {name: float("inf") for name in contenders}
    for round in range(repeat + 1):
        for name, fn in contenders.items():
            start = time.perf_counter(); fn(); seconds = time.perf_counter() - start
            if round: best[name] = min(best[name], seconds)
    return best


def load() -> str:
    "The machine's load averages (1, 5, 15 minutes): other processes share the cores."
    return "/".join(f"{x:.1f}" for x in os.getloadavg())


def trained_model(arch: str, data, activation: str = "relu"):
    "A predefined variant trained on `data` with the default TrainingConfig, seed 0, in eval mode."
    from loss_landscape.experiments.train_model import build_model, train_model
    from loss_landscape.models.mlp import get_predefined_model_config
    from loss_landscape.utils.configs import TrainingConfig
    model = build_model(get_predefined_model_config(arch, activation), seed=0)
    train_model(model, data, TrainingConfig(checkpoint_every=0))
    # seeding turned on deterministic algorithms (every new tensor filled with NaN): time all contenders with PyTorch's defaults
    torch.use_deterministic_algorithms(False)
    return model.eval()


def machine() -> str:
    cpu = next((l.split(":", 1)[1].strip() for l in Path("/proc/cpuinfo").read_text().splitlines() if l.startswith("model name")), platform.processor())
    return f"{cpu}, {os.cpu_count()} cores, torch {torch.__version__} ({torch.get_num_threads()} threads), Python {platform.python_version()}"


def record(section: str, body: str):
    "Replace (or add) `## section` in bench/RESULTS.md with `body`, stamped with the date and machine."
    stamp = f"{datetime.date.today().isoformat()}, {machine()}"
    block = f"## {section}\n\n_{stamp}_\n\n{body.strip()}\n"
    text = RESULTS.read_text() if RESULTS.exists() else "# Benchmark results\n\nEach section is written by the script it names; ratios are measured side by side in one run.\n"
    pattern = re.compile(rf"^## {re.escape(section)}\n.*?(?=^## |\Z)", re.S | re.M)
    text = pattern.sub(lambda _: block + "\n", text) if pattern.search(text) else text.rstrip() + "\n\n" + block
    RESULTS.write_text(text.rstrip() + "\n")
    print(block)


ROOT = Path(__file__).resolve().parents[1]


def timed_cli(*args) -> float:
    "Wall seconds of `loss-landscape ARGS` in a fresh process (output discarded; a failure raises)."
    start = time.perf_counter()
    subprocess.run([sys.executable, "-c", "from loss_landscape.cli import main; main()", *map(str, args)], cwd=ROOT, check=True,
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return time.perf_counter() - start
