"The probe command: a killed run resumes to the same files, bad checkpoints fail alone, other settings are refused (every backend's bytes: test_replay.py)."
import json, shutil, signal, subprocess, time
import numpy as np
import pytest
from conftest import COMMAND, ROOT, assert_close, cli, result_numbers

SMOKE = ["--preset", "smoke"]


def probe(experiments, figures, *extra):
    return cli("probe", *SMOKE, "--experiments-root", experiments, "--figures-root", figures, *extra)


def failure_lines(stderr: str) -> list[str]:
    "The final `failed: FOLDER: ERROR` lines, each checked to be one short line without a task's arguments."
    lines = [l for l in stderr.splitlines() if l.startswith("failed: ")]
    assert all(len(l) < 600 and "'configs'" not in l for l in lines), lines
    return lines


def test_pipeline_layout(smoke_pipeline):
    run = smoke_pipeline / "figures/dataset=moons/arch=shallow-small/act=relu/opt=sgd/seed=0"
    expected = ["gradient_norm/gradient_norm.json", "hessian/density.png", "hessian/spectrum.json", "hessian/spectrum.png",
                "interpolation/interpolation.json", "interpolation/interpolation.png", "probes.json", "sharpness/sharpness.json",
                "sharpness/sharpness.png", "slices/slice_1d.json", "slices/slice_1d.png", "slices/surface_2d.json", "slices/surface_2d.npz",
                "slices/surface_2d_3d.png", "slices/surface_2d_contour.png"]
    assert sorted(str(p.relative_to(run)) for p in run.rglob("*") if p.is_file()) == expected
    spectrum = json.loads((run / "hessian/spectrum.json").read_text())
    assert {"top_eigenvalues", "residuals", "min_eigenvalue", "trace", "density", "hvp_count", "settings"} <= spectrum.keys()
    assert {"mean", "stderr", "probes"} <= spectrum["trace"].keys() and {"grid", "values"} <= spectrum["density"].keys()
    surface = json.loads((run / "slices/surface_2d.json").read_text())
    assert abs(surface["cosine"]) < 1e-6 and surface["seed"] == 0 and surface["normalization"] == "filter"
    group = run.parent
    connectivity = json.loads((group / "connectivity/connectivity.json").read_text())
    assert len(connectivity["pairs"]) == 1 and {"naive", "aligned", "bezier"} <= connectivity["pairs"][0]["barriers"].keys()
    assert (group / "pca/pca_surface.png").is_file() and "explained_variance" in json.loads((group / "pca/pca.json").read_text())


@pytest.mark.slow
def test_killed_probe_resumes_to_the_same_files(smoke_pipeline, tmp_path):
    "SIGKILL the probe command at several points; the rerun's files equal an uninterrupted run's and no temp file remains."
    experiments = smoke_pipeline / "experiments"
    figures = tmp_path / "figures"
    args = [*COMMAND, "probe", *SMOKE, "--experiments-root", str(experiments),
            "--figures-root", str(figures)]
    written = lambda: [p for p in figures.rglob("*") if p.is_file() and not p.name.endswith(".tmp")] if figures.exists() else []
    for files in (1, 20, 50):  # kill once this many files exist: inside the first run, then later runs (each call resumes the last)
        proc = subprocess.Popen(args, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        deadline = time.time() + 600
        while len(written()) < files and proc.poll() is None and time.time() < deadline: time.sleep(0.02)
        proc.send_signal(signal.SIGKILL); proc.wait()
    assert figures.exists() and not (figures / "dataset=moons/arch=shallow-small/act=relu/opt=sgd/pca/pca_surface.png").exists(), \
        "the kills came too late to interrupt anything"
    rerun = probe(experiments, figures)
    assert rerun.returncode == 0, rerun.stderr[-2000:]
    assert_close(result_numbers(figures), result_numbers(smoke_pipeline / "figures"))
    assert sorted(p.name for p in figures.rglob("*.png")) == sorted(p.name for p in (smoke_pipeline / "figures").rglob("*.png"))
    assert not [p for p in figures.rglob("*") if p.name.endswith(".tmp")]


def test_bad_checkpoints_fail_alone(smoke_pipeline, tmp_path):
    experiments = tmp_path / "experiments"
    shutil.copytree(smoke_pipeline / "experiments", experiments)
    truncated = experiments / "dataset=moons/arch=shallow-small/act=relu/opt=sgd/seed=0/checkpoints/final_epoch6.pt"
    truncated.write_bytes(truncated.read_bytes()[:200])
    foreign_run = experiments / "dataset=moons/arch=shallow-small/act=relu/opt=adam/seed=1"
    other = cli("train", *SMOKE, "--archs", "medium", "--seeds", "1", "--optimizers", "adam", "--output-root", tmp_path / "other")
    assert other.returncode == 0
    foreign = foreign_run / "checkpoints/final_epoch6.pt"
    shutil.copyfile(tmp_path / "other/dataset=moons/arch=medium/act=relu/opt=adam/seed=1/checkpoints/final_epoch6.pt", foreign)
    out = probe(experiments, tmp_path / "figures")
    assert out.returncode == 1
    lines = failure_lines(out.stderr)
    assert any(f"unreadable checkpoint {truncated}" in l for l in lines)
    assert any(f"checkpoint {foreign} does not match the architecture" in l for l in lines)
    assert len(lines) == 4  # the two runs and their two groups, one line each
    done = sorted(p.parents[1].name for p in (tmp_path / "figures").rglob("hessian/spectrum.json"))
    assert done == ["seed=0", "seed=1"]  # the two intact runs


@pytest.mark.slow
def test_group_of_one_seed_and_a_missing_trajectory_checkpoint(tmp_path):
    experiments = tmp_path / "experiments"
    assert cli("train", *SMOKE, "--seeds", "0", "--output-root", experiments).returncode == 0
    lost = experiments / "dataset=moons/arch=shallow-small/act=relu/opt=adam/seed=0/checkpoints/epoch2.pt"
    lost.unlink()
    out = probe(experiments, tmp_path / "figures")
    assert out.returncode == 1
    [line] = failure_lines(out.stderr)  # the group of that run: its trajectory; the run itself is probed
    assert line.startswith(f"failed: {lost.parents[2]}: ") and f"run {lost.parents[1]} is missing checkpoint checkpoints/epoch2.pt" in line
    sgd = tmp_path / "figures/dataset=moons/arch=shallow-small/act=relu/opt=sgd"
    assert "connectivity skipped" in out.stdout
    assert "at least 2 are needed" in json.loads((sgd / "connectivity/connectivity.json").read_text())["skipped"]
    assert (sgd / "pca/pca_surface.png").is_file()
    assert json.loads((sgd / "pca/pca.json").read_text())["paths"].keys() == {"seed=0"}


def test_other_probe_settings_are_refused_then_redone(smoke_pipeline, tmp_path):
    figures = tmp_path / "figures"
    shutil.copytree(smoke_pipeline / "figures", figures)
    before = {p: p.read_bytes() for p in figures.rglob("*") if p.is_file()}
    out = probe(smoke_pipeline / "experiments", figures, "--slice-resolution-2d", "9")
    assert out.returncode == 2
    [line] = out.stderr.strip().splitlines()
    assert "4 runs or groups were probed with other settings" in line and "--redo" in line
    assert line.count("slice.resolution_2d 7 -> 9") == 3 and "and 1 more" in line
    assert {p: p.read_bytes() for p in figures.rglob("*") if p.is_file()} == before
    redo = probe(smoke_pipeline / "experiments", figures, "--slice-resolution-2d", "9", "--redo")
    assert redo.returncode == 0 and "probed 4 runs and groups, already done 2" in redo.stdout, redo.stdout + redo.stderr
    surface = figures / "dataset=moons/arch=shallow-small/act=relu/opt=sgd/seed=0/slices/surface_2d.npz"
    with np.load(surface) as z: assert z["train_loss"].shape == (9, 9)
    again = probe(smoke_pipeline / "experiments", figures, "--slice-resolution-2d", "9")
    assert again.returncode == 0 and "already done 6" in again.stdout
