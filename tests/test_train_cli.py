"The training command: bad input, determinism, divergence and resumption, through the real command line."
import json, shutil, signal, subprocess, sys, time
import pytest, torch
from conftest import COMMAND, ROOT, cli, tree_digest
from loss_landscape.experiments.train_model import evaluate_model
from loss_landscape.factories import make_data
from loss_landscape.runs import list_checkpoints, load_metrics, load_model, load_run

BAD_INPUT = [
    (["--archs", "huge"], "--archs", "'huge'", "shallow-small"),
    (["--activations", "sigmoid"], "--activations", "'sigmoid'", "relu"),
    (["--optimizers", "rmsprop"], "--optimizers", "'rmsprop'", "adam"),
    (["--datasets", "spirals"], "--datasets", "'spirals'", "moons"),
    (["--n-train", "0"], "--n-train", "'0'", "> 0"),
    (["--n-test", "-5"], "--n-test", "'-5'", "> 0"),
    (["--epochs", "0"], "--epochs", "'0'", "> 0"),
    (["--learning-rate", "-1"], "--learning-rate", "'-1'", "> 0"),
    (["--noise", "-0.1"], "--noise", "'-0.1'", ">= 0"),
    (["--batch-size", "zero"], "--batch-size", "'zero'", "> 0"),
]


@pytest.mark.parametrize("args,option,value,allowed", BAD_INPUT)
def test_bad_input_is_one_line_and_touches_nothing(smoke_experiments, args, option, value, allowed):
    before = tree_digest(smoke_experiments)
    out = cli("train", "--preset", "smoke", "--output-root", smoke_experiments, *args)
    assert out.returncode == 2
    lines = out.stderr.strip().splitlines()
    assert len(lines) == 1, out.stderr
    assert option in lines[0] and value in lines[0] and allowed in lines[0], lines[0]
    assert tree_digest(smoke_experiments) == before


@pytest.mark.skipif(torch.cuda.is_available(), reason="checks the error raised where CUDA is missing")
@pytest.mark.slow
def test_cuda_without_cuda(tmp_path):
    out = cli("train", "--preset", "smoke", "--device", "cuda", "--output-root", tmp_path / "x")
    assert out.returncode == 2 and "device='cuda' is not available" in out.stderr and len(out.stderr.strip().splitlines()) == 1
    assert not (tmp_path / "x").exists()


def test_layout_checkpoints_and_metrics(smoke_experiments):
    runs = sorted(p.parent for p in smoke_experiments.rglob("summary.json"))
    assert [str(r.relative_to(smoke_experiments)) for r in runs] == [
        f"dataset=moons/arch=shallow-small/act=relu/opt={o}/seed={s}" for o in ("adam", "sgd") for s in (0, 1)]
    for run in runs:
        info = load_run(run)
        assert info.status == "completed" and info.n_params == 252
        epochs = [e for e, _ in list_checkpoints(run)]
        assert epochs == [0, 2, 4, 6]
        metrics = json.loads((run / "metrics.json").read_text())
        data = make_data(info.data)
        for epoch, path in list_checkpoints(run):
            state = torch.load(path, weights_only=True)
            assert all(isinstance(v, torch.Tensor) for v in state.values())
            model = load_model(run, path)
            assert evaluate_model(model, data.x_test, data.y_test) == (metrics["test_loss"][epoch], metrics["test_acc"][epoch])


def test_same_configuration_same_bytes(tmp_path, smoke_experiments):
    out = cli("train", "--preset", "smoke", "--seeds", "1", "--optimizers", "sgd", "--output-root", tmp_path)
    assert out.returncode == 0, out.stderr
    rel = "dataset=moons/arch=shallow-small/act=relu/opt=sgd/seed=1/metrics.json"
    assert (tmp_path / rel).read_bytes() == (smoke_experiments / rel).read_bytes()


@pytest.mark.slow
def test_divergence_is_recorded_and_the_sweep_goes_on(tmp_path):
    out = cli("train", "--preset", "smoke", "--seeds", "0", "--learning-rate", "1e6", "--output-root", tmp_path)
    assert out.returncode == 0, out.stderr
    assert "2 trained" in out.stdout and "1 diverged" in out.stdout  # SGD blows up; Adam's steps are bounded by its rate
    sgd = next(tmp_path.rglob("opt=sgd/seed=0"))
    assert json.loads((sgd / "summary.json").read_text())["status"] == "diverged"
    metrics = json.loads((sgd / "metrics.json").read_text())
    assert metrics["status"] == "diverged" and metrics["diverged_at_epoch"] >= 1
    assert json.loads((next(tmp_path.rglob("opt=adam/seed=0")) / "summary.json").read_text())["status"] == "completed"


@pytest.mark.slow
def test_killed_sweep_resumes_without_retraining(tmp_path):
    "SIGKILL a sweep after its first finished run; the rerun trains only the rest and matches an uninterrupted sweep."
    args = ["train", "--preset", "smoke", "--epochs", "30", "--output-root", tmp_path / "killed"]
    proc = subprocess.Popen([*COMMAND, *map(str, args)], cwd=ROOT,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.time() + 120
    while not list((tmp_path / "killed").rglob("summary.json")) and time.time() < deadline: time.sleep(0.02)
    proc.send_signal(signal.SIGKILL); proc.wait()
    finished = {p: p.stat().st_mtime_ns for p in (tmp_path / "killed").rglob("summary.json")}
    assert 1 <= len(finished) < 4
    rerun = cli(*args)
    assert rerun.returncode == 0 and f"{len(finished)} already done" in rerun.stdout
    assert all(p.stat().st_mtime_ns == t for p, t in finished.items())
    assert cli("train", "--preset", "smoke", "--epochs", "30", "--output-root", tmp_path / "whole").returncode == 0
    metrics = lambda root: {k: v for k, v in tree_digest(root).items() if k.endswith(".json")}
    assert metrics(tmp_path / "killed") == metrics(tmp_path / "whole")
    assert not [p for p in (tmp_path / "killed").rglob("*") if p.name.endswith(".tmp")]


@pytest.mark.slow
def test_module_entry_point_help():
    out = subprocess.run([sys.executable, "-m", "loss_landscape.experiments.run_full_matrix", "--help"], capture_output=True, text=True, cwd=ROOT)
    assert out.returncode == 0
    for option in ["--output-root", "--n-train", "--n-test", "--noise", "--device", "--epochs", "--learning-rate", "--batch-size",
                   "--lr-step-size", "--lr-gamma", "--momentum", "--include-circles", "--include-xor", "--include-gaussians", "--seeds",
                   "--archs", "--activations", "--optimizers", "--checkpoint-every", "--preset", "--workers", "--dask-local"]:
        assert option in out.stdout, option
    assert "adam 0.01" in out.stdout and out.stdout.startswith("usage: python -m loss_landscape.experiments.run_full_matrix")


@pytest.mark.slow
def test_an_explicit_learning_rate_wins_and_is_recorded(tmp_path):
    out = cli("train", "--preset", "smoke", "--seeds", "0", "--optimizers", "adam", "--learning-rate", "0.3", "--output-root", tmp_path)
    assert out.returncode == 0, out.stderr
    run = next(tmp_path.rglob("opt=adam/seed=0"))
    assert load_run(run).training.learning_rate == 0.3 and load_metrics(run)["lr"][:2] == [0.3, 0.3]


def test_rerun_with_other_settings_refuses_then_redoes(smoke_experiments, tmp_path):
    "Other settings over finished runs: exit 2, one line per run naming what differs, nothing touched; --redo trains them again."
    before = tree_digest(smoke_experiments)
    out = cli("train", "--preset", "smoke", "--epochs", "8", "--learning-rate", "0.3", "--output-root", smoke_experiments)
    assert out.returncode == 2, out.stdout + out.stderr
    [line] = out.stderr.strip().splitlines()
    assert "4 runs were trained with other settings" in line and "--redo" in line and "and 1 more" in line
    assert line.count("training.epochs 6 -> 8") == 3 and "dataset=moons/arch=shallow-small/act=relu/opt=adam/seed=0: " in line
    assert "training.learning_rate 0.01 -> 0.3" in line
    assert tree_digest(smoke_experiments) == before
    copy = tmp_path / "experiments"
    shutil.copytree(smoke_experiments, copy)
    redo = cli("train", "--preset", "smoke", "--epochs", "8", "--seeds", "0", "--optimizers", "sgd", "--redo", "--output-root", copy)
    assert redo.returncode == 0 and "1 trained" in redo.stdout, redo.stderr
    run = copy / "dataset=moons/arch=shallow-small/act=relu/opt=sgd/seed=0"
    assert load_run(run).training.epochs == 8 and [e for e, _ in list_checkpoints(run)] == [0, 2, 4, 6, 8]
    assert load_run(copy / "dataset=moons/arch=shallow-small/act=relu/opt=sgd/seed=1").training.epochs == 6
