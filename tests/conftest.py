"Shared fixtures: the real command line, and one smoke-preset training reused across tests."
import hashlib, os, subprocess, sys
from pathlib import Path
import pytest

ROOT = Path(__file__).resolve().parents[1]


def cli(*args, cwd=None, timeout=600):
    "Run `python -m loss_landscape.cli ARGS`; return the CompletedProcess."
    env = os.environ | {"PYTHONHASHSEED": "0", "MPLBACKEND": "Agg"}
    return subprocess.run([sys.executable, "-c", "from loss_landscape.cli import main; main()", *map(str, args)],
                          cwd=cwd or ROOT, env=env, capture_output=True, text=True, timeout=timeout)


def tree_digest(root) -> dict:
    "Relative path -> sha256 of every file under `root`."
    root = Path(root)
    return {str(p.relative_to(root)): hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(root.rglob("*")) if p.is_file()}


@pytest.fixture(scope="session")
def smoke_experiments(tmp_path_factory):
    "The smoke matrix, trained once per session (read-only for tests)."
    root = tmp_path_factory.mktemp("smoke") / "experiments"
    done = cli("train", "--preset", "smoke", "--output-root", root)
    assert done.returncode == 0, done.stderr
    return root
