"A non-editable install in a fresh virtual environment runs the whole pipeline, papermill engine and site included, in an empty folder."
import os, shutil, subprocess, sys
import pytest
from conftest import ROOT


@pytest.mark.slow
def test_pip_install_then_all_in_an_empty_folder(tmp_path):
    source = tmp_path / "source"  # a copy of what the package is built from, so the build leaves nothing in the repository
    for part in ("loss_landscape", "nbs/templates"): shutil.copytree(ROOT / part, source / part, ignore=shutil.ignore_patterns("__pycache__"))
    for part in ("pyproject.toml", "README.md"): shutil.copyfile(ROOT / part, source / part)
    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
    python = str(venv / "bin" / "python")
    # PYTHONDONTWRITEBYTECODE (set on some machines) would have every process and kernel compile its imports again
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "VIRTUAL_ENV", "PYTHONDONTWRITEBYTECODE")} | {"PATH": f"{venv / 'bin'}{os.pathsep}{os.environ['PATH']}"}
    for args in (["torch==2.13.0"], [str(source)]):  # the CPU wheel first: an open range would pull a CUDA build
        # --no-compile: Python compiles what the pipeline imports as it goes, once, not all of PyTorch and SciPy up front (a minute less)
        done = subprocess.run([python, "-m", "pip", "install", "-q", "--disable-pip-version-check", "--no-compile", *args], env=env, capture_output=True, text=True, timeout=1800)
        assert done.returncode == 0, done.stderr[-3000:]
    empty = tmp_path / "empty"
    empty.mkdir()
    # one run of the smoke matrix (a group of one seed): each notebook the papermill engine executes starts a kernel
    out = subprocess.run([str(venv / "bin" / "loss-landscape"), "all", "--preset", "smoke", "--seeds", "0", "--optimizers", "sgd", "--engine", "papermill", "--root", "results"],
                         cwd=empty, env=env, capture_output=True, text=True, timeout=3600)
    assert out.returncode == 0, out.stdout[-3000:] + out.stderr[-3000:]
    results = empty / "results"
    assert (results / "experiments/dataset=moons/arch=shallow-small/act=relu/opt=sgd/seed=0/train.ipynb").is_file()
    assert (results / "figures/dataset=moons/arch=shallow-small/act=relu/opt=sgd/seed=0/probe.ipynb").is_file()
    assert (results / "studies/depth.ipynb").is_file() and "Depth study" in (results / "site/index.html").read_text() + (results / "site/depth_study.html").read_text()
    installed = subprocess.run([python, "-c", "import loss_landscape; print(loss_landscape.__file__)"], cwd=empty, env=env, capture_output=True, text=True)
    assert str(venv) in installed.stdout, installed.stdout  # the installed copy, not this checkout
