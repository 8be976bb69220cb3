"Shared fixtures: the real command line, and one smoke-preset pipeline built once per test run and reused by every test and worker."
import functools, hashlib, json, os, shutil, subprocess, sys, tempfile
from pathlib import Path
import pytest

ROOT = Path(__file__).resolve().parents[1]
COMMAND = [sys.executable, "-c", "from loss_landscape.cli import main; main()"]
COMMAND_ENV = {"PYTHONHASHSEED": "0", "MPLBACKEND": "Agg"}  # the same bytes in every run, no screen


def cli(*args, cwd=None, timeout=600, env=None, preexec_fn=None):
    """Run `python -c "from loss_landscape.cli import main; main()" ARGS` with the variables in `env` added (and
    `preexec_fn` called in the child before it starts); return the CompletedProcess. The process is forked from a warm
    interpreter (`warm_commands.py`) unless the call needs a fresh one (`fresh_cli`): a pre-exec hook, or other values
    than the warm interpreter's for variables that a module may read as it loads (any but `SET_IN_THE_CHILD`)."""
    wanted = os.environ | COMMAND_ENV | (env or {})
    if preexec_fn is None and warm_commands().serves(wanted):
        return warm_commands().run([*map(str, args)], cwd or ROOT, wanted, timeout)
    return fresh_cli(*args, cwd=cwd, timeout=timeout, env=env, preexec_fn=preexec_fn)


def fresh_cli(*args, cwd=None, timeout=600, env=None, preexec_fn=None):
    "`cli`'s command in a fresh interpreter, always."
    return subprocess.run([*COMMAND, *map(str, args)], cwd=cwd or ROOT, env=os.environ | COMMAND_ENV | (env or {}), capture_output=True, text=True,
                          timeout=timeout, preexec_fn=preexec_fn)


# Variables the warm interpreter need not have had as it loaded its modules: the forked child puts the first on sys.path;
# pytest changes the second at every test; the package's seeding and PyTorch's compiler set the last two in the test
# process as the tests run, and each is read when used (by cuBLAS as it starts, by the compiler as it caches).
SET_IN_THE_CHILD = {"PYTHONPATH", "PYTEST_CURRENT_TEST", "CUBLAS_WORKSPACE_CONFIG", "TORCHINDUCTOR_CACHE_DIR"}


def loaded_with(env: dict) -> dict: return {k: v for k, v in env.items() if k not in SET_IN_THE_CHILD}


class WarmCommands:
    "This test process's warm interpreter (`warm_commands.py`): it forks a process for each command; it ends with the test process."
    def __init__(self):
        self.env = os.environ | COMMAND_ENV
        self.server = subprocess.Popen([sys.executable, "-c", (ROOT / "tests/warm_commands.py").read_text()], cwd=ROOT, env=self.env,
                                       stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)

    def differing(self, env: dict) -> list[str]:
        "The variables (but `SET_IN_THE_CHILD`) whose values in `env` are not the warm interpreter's."
        mine, wanted = loaded_with(self.env), loaded_with(env)
        return sorted(k for k in mine.keys() | wanted.keys() if mine.get(k) != wanted.get(k))

    def serves(self, env: dict) -> bool: return not self.differing(env)

    def run(self, args: list[str], cwd, env: dict, timeout: float) -> subprocess.CompletedProcess:
        with tempfile.TemporaryDirectory() as tmp:
            out, err = Path(tmp) / "stdout", Path(tmp) / "stderr"
            request = {"args": args, "cwd": str(cwd), "env": env, "stdout": str(out), "stderr": str(err), "timeout": timeout}
            print(json.dumps(request), file=self.server.stdin, flush=True)
            code = self.server.stdout.readline().strip()
            if not code: raise RuntimeError(f"the warm interpreter ended (exit code {self.server.wait()}); see the test process's stderr")
            if code == "timeout": raise subprocess.TimeoutExpired([*COMMAND, *args], timeout, out.read_text(), err.read_text())
            return subprocess.CompletedProcess([*COMMAND, *args], int(code), out.read_text(), err.read_text())


@functools.cache
def warm_commands() -> WarmCommands: return WarmCommands()


def tree_digest(root) -> dict:
    "Relative path -> sha256 of every file under `root`."
    root = Path(root)
    return {str(p.relative_to(root)): hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(root.rglob("*")) if p.is_file()}


def pytest_configure(config):
    """The test processes share the cores: each computes on its share (`-n 2` on 2 cores: one thread each). With more
    threads than cores, PyTorch's threads wait for each other: a chapter that trains took 114 s instead of 32."""
    if workers := int(os.environ.get("PYTEST_XDIST_WORKER_COUNT", 0)):
        import torch
        torch.set_num_threads(max(1, len(os.sched_getaffinity(0)) // workers))


DURATIONS = ROOT / "tests/durations.json"  # each test's seconds in a full run (`make test-durations`): the order of the next runs


def pytest_addoption(parser):
    parser.addoption("--record-durations", action="store_true", help=f"write each test's seconds to tests/{DURATIONS.name}")


def recorded_durations() -> dict: return json.loads(DURATIONS.read_text()) if DURATIONS.exists() else {}


def longest_first(items):
    """The longest tests first (one not in `DURATIONS` counts as short). Handed out a few at a time (`--maxschedchunk 1`, as
    `make test` runs pytest: a worker holds two), they let the two workers end together instead of one finishing the longest alone."""
    seconds = recorded_durations()
    items.sort(key=lambda item: -seconds.get(item.nodeid, 0.0))  # stable: the rest keep their order


@pytest.hookimpl(tryfirst=True)  # before pytest's own -m deselection
def pytest_collection_modifyitems(items):
    "A test that reads the smoke pipeline waits for it to be built (about 100 s): it is slow, as is anything marked so by hand."
    for item in items:
        if "smoke_pipeline" in getattr(item, "fixturenames", ()): item.add_marker(pytest.mark.slow)  # the fixtures' closure: smoke_experiments too
    longest_first(items)


_durations = {}


def pytest_runtest_logreport(report):
    "Each test's time in its body (a shared fixture's build, charged to whichever test asks first, is left out)."
    if report.when == "call": _durations[report.nodeid] = round(report.duration, 1)


def pytest_sessionfinish(session):
    """With --record-durations, in the process that gathers every worker's reports: the tests run update `DURATIONS` (a
    partial run keeps the others' seconds), written to a temporary file, then renamed."""
    if session.config.getoption("--record-durations") and not hasattr(session.config, "workerinput") and _durations:
        seconds = recorded_durations() | _durations
        temporary = DURATIONS.with_suffix(".tmp")
        temporary.write_text(json.dumps(dict(sorted(seconds.items(), key=lambda kv: -kv[1])), indent=0) + "\n")
        temporary.replace(DURATIONS)


def built_once(tmp_path_factory, name: str, build) -> Path:
    "`build(folder)` once per test run, shared by pytest-xdist's workers: the first to ask builds it under a lock, the others wait, then reuse it."
    from loss_landscape.utils.io import RunLock
    base = tmp_path_factory.getbasetemp()
    if os.environ.get("PYTEST_XDIST_WORKER"): base = base.parent  # the folder every worker of this run shares
    folder, done = base / name, base / f"{name}.built"
    with RunLock(base / f"{name}.lock"):
        if not done.exists():
            shutil.rmtree(folder, ignore_errors=True)  # a build that failed in another worker
            build(folder)
            done.touch()
    return folder


@pytest.fixture(scope="session")
def smoke_pipeline(tmp_path_factory):
    "train -> probe -> report -> site on the smoke preset, once per test run (read-only for tests); its stderr beside it, `all.stderr`."
    def build(folder):
        done = cli("all", "--preset", "smoke", "--root", folder / "reports", timeout=1800)
        assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-2000:]
        (folder / "all.stderr").write_text(done.stderr)
    return built_once(tmp_path_factory, "pipeline", build) / "reports"


@pytest.fixture(scope="session")
def smoke_experiments(smoke_pipeline):
    "The smoke matrix, trained (read-only for tests): the pipeline's, trained once for both."
    return smoke_pipeline / "experiments"


def result_numbers(root) -> dict:
    "Relative path -> parsed content of every JSON and NPZ result under `root`."
    import json
    import numpy as np
    out = {}
    for p in sorted(Path(root).rglob("*")):
        if p.suffix == ".json": out[str(p.relative_to(root))] = json.loads(p.read_text())
        elif p.suffix == ".npz":
            with np.load(p) as z: out[str(p.relative_to(root))] = {k: z[k].tolist() for k in z.files}
    return out


def assert_close(a, b, path="", rtol=1e-6, atol=1e-9):
    "Recursive comparison of JSON-like values with a numeric tolerance."
    import math
    if isinstance(a, dict):
        assert isinstance(b, dict) and a.keys() == b.keys(), f"{path}: keys differ"
        for k in a: assert_close(a[k], b[k], f"{path}/{k}", rtol, atol)
    elif isinstance(a, list):
        assert isinstance(b, list) and len(a) == len(b), f"{path}: lengths differ"
        for i, (x, y) in enumerate(zip(a, b)): assert_close(x, y, f"{path}[{i}]", rtol, atol)
    elif isinstance(a, float) or isinstance(b, float):
        assert a is not None and b is not None and (math.isclose(a, b, rel_tol=rtol, abs_tol=atol) or (math.isnan(a) and math.isnan(b))), f"{path}: {a} != {b}"
    else:
        assert a == b, f"{path}: {a!r} != {b!r}"
