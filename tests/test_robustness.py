"""Nothing lost, nothing silent: each failure mode replayed through the real command line (or through the library where
the command is not wired to it yet), asserting the exit code, one line on stderr, and the files kept or left unchanged."""
import contextlib, json, os, re, resource, shutil, signal, socket, subprocess, sys, time
from pathlib import Path
import psutil, pytest
from conftest import ROOT, tree_digest
from loss_landscape.utils.io import HOST, RunLock, read_json

SMOKE = ["--preset", "smoke"]
ONE_RUN = [*SMOKE, "--seeds", "0", "--optimizers", "sgd"]
RUN = Path("dataset=moons/arch=shallow-small/act=relu/opt=sgd/seed=0")
PROGRESS = re.compile(r"\d+%\|")  # tqdm's bars share stderr with the messages
INTERRUPTED = "loss-landscape: interrupted; run the same command again to resume"


def command(*args, cwd=None, env=None, preexec_fn=None, timeout=600):
    "Run `loss-landscape ARGS` in a fresh interpreter, with extra environment variables and a pre-exec hook."
    env = os.environ | {"PYTHONHASHSEED": "0", "MPLBACKEND": "Agg"} | (env or {})
    return subprocess.run([sys.executable, "-c", "from loss_landscape.cli import main; main()", *map(str, args)], cwd=cwd or ROOT,
                          env=env, capture_output=True, text=True, timeout=timeout, preexec_fn=preexec_fn)


def start(*args, cwd=None, env=None):
    "Start `loss-landscape ARGS` in its own session (so a test can send Ctrl-C to it as a terminal does)."
    env = os.environ | {"PYTHONHASHSEED": "0", "MPLBACKEND": "Agg"} | (env or {})
    return subprocess.Popen([sys.executable, "-c", "from loss_landscape.cli import main; main()", *map(str, args)], cwd=cwd or ROOT,
                            env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, start_new_session=True)


def messages(stderr: str) -> list[str]:
    "The lines of stderr that are not progress bars."
    return [line for line in stderr.splitlines() if line.strip() and not PROGRESS.search(line)]


def one_line(out, code: int) -> str:
    "Assert exit `code`, no traceback and exactly one message on stderr; return it."
    lines = messages(out.stderr)
    assert out.returncode == code and len(lines) == 1 and "Traceback" not in out.stderr, (out.returncode, out.stderr[-3000:])
    return lines[0]


def wait_for(condition, timeout: float, what: str):
    "Poll `condition()` until it is true; fail naming `what` after `timeout` seconds."
    deadline = time.monotonic() + timeout
    while not (value := condition()):
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.1)
    return value


def alive(processes) -> list:
    "The processes of `processes` still running (a zombie has exited)."
    def running(p):
        with contextlib.suppress(psutil.Error): return p.is_running() and p.status() != psutil.STATUS_ZOMBIE
        return False
    return [p for p in processes if running(p)]


def spawned_workers(pid: int) -> list:
    "The multiprocessing workers under process `pid`."
    with contextlib.suppress(psutil.Error):
        return [c for c in psutil.Process(pid).children(recursive=True) if "spawn_main" in " ".join(c.cmdline())]
    return []


# --- item 4: the temp-file sweep and the locks ---------------------------------------------------------------------------------

def test_sweep_removes_only_dead_writers_temp_files(tmp_path):
    root = tmp_path / "experiments"
    dead = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True).stdout.strip()
    keep = {root / "notes/.draft.tmp": b"a user's draft", root / RUN / f".metrics.json.{os.getpid()}@{HOST}.0a1b2c3d.tmp": b"a live writer",
            root / RUN / f".metrics.json.{dead}@elsewhere.0a1b2c3d.tmp": b"another machine's writer"}
    stale = root / RUN / f".metrics.json.{dead}@{HOST}.0a1b2c3d.tmp"
    for path, content in [*keep.items(), (stale, b"a killed writer")]:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(content)
    out = command("train", *ONE_RUN, "--output-root", root)
    assert out.returncode == 0, out.stderr[-2000:]
    assert not stale.exists() and {p: p.read_bytes() for p in keep} == keep
    assert (root / RUN / "summary.json").is_file()


def test_lock_waits_for_its_holder_and_takes_over_after_a_kill(tmp_path):
    lock_file = tmp_path / "run/.lock"
    holder = subprocess.Popen([sys.executable, "-c", "import sys, time; from loss_landscape.utils.io import RunLock; "
                               f"RunLock({str(lock_file)!r}).acquire(); print('held', flush=True); time.sleep(600)"],
                              stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == "held"
        lock = RunLock(lock_file)
        started = time.monotonic()
        assert not lock.acquire(timeout=0.5) and time.monotonic() - started >= 0.5
        assert lock.owner() == holder.pid
        holder.kill(); holder.wait()
        assert lock.acquire(timeout=5) and lock.taken_over_from == holder.pid and lock.owner() == os.getpid()
        lock.release()
        assert not lock_file.exists()
    finally:
        holder.kill(); holder.wait()


# --- item 6: Dask failures end in one line, within the timeout --------------------------------------------------------------------

def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextlib.contextmanager
def dask_process(kind: str, *args, cwd=None):
    "A `dask scheduler` or `dask worker` process for the block, its output discarded."
    proc = subprocess.Popen([sys.executable, "-m", f"distributed.cli.dask_{kind}", *map(str, args)], cwd=cwd,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try: yield proc
    finally:
        proc.kill()
        proc.wait()


@contextlib.contextmanager
def dask_scheduler():
    "A real scheduler on a free loopback port; yields the process and its address once it accepts connections."
    port = free_port()
    with dask_process("scheduler", "--host", "127.0.0.1", "--port", port, "--no-dashboard") as proc:
        def listening():
            with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), timeout=1): return True
        wait_for(listening, 120, "the Dask scheduler")
        yield proc, f"tcp://127.0.0.1:{port}"


DASK_TIMEOUT = {"DASK_DISTRIBUTED__COMM__TIMEOUTS__CONNECT": "3s"}  # Dask's own setting; run_tasks waits this long


def test_dask_scheduler_without_workers_ends_within_its_timeout(tmp_path):
    with dask_scheduler() as (_, address):
        started = time.monotonic()
        out = command("train", *ONE_RUN, "--output-root", tmp_path / "experiments", "--dask-scheduler", address, env=DASK_TIMEOUT, timeout=120)
        elapsed = time.monotonic() - started
    assert one_line(out, 2) == f"loss-landscape: error: the Dask scheduler at {address} has no workers (waited 3 s)"
    assert elapsed < 60, elapsed  # the 3 s wait and the start of an interpreter, not Dask's default of minutes
    assert not list(tmp_path.rglob("summary.json"))


def test_dask_unreachable_and_empty_addresses(tmp_path):
    address = f"tcp://127.0.0.1:{free_port()}"
    unreachable = command("train", *ONE_RUN, "--output-root", tmp_path, "--dask-scheduler", address, env=DASK_TIMEOUT, timeout=120)
    assert one_line(unreachable, 2) == f"loss-landscape: error: no Dask scheduler answered at {address} within 3 s"
    empty = command("train", *ONE_RUN, "--output-root", tmp_path, "--dask-scheduler", "")
    assert "--dask-scheduler" in one_line(empty, 2) and "tcp://host:8786" in empty.stderr
    assert not list(tmp_path.rglob("summary.json"))


@pytest.mark.slow
def test_remote_worker_gets_absolute_paths_and_a_lost_scheduler_keeps_finished_runs(tmp_path):
    "A worker started in another folder writes where the client asked; killing the scheduler mid-sweep ends in one line."
    from distributed import Client
    client_dir, worker_dir = tmp_path / "client", tmp_path / "worker"
    client_dir.mkdir(); worker_dir.mkdir()
    with dask_scheduler() as (scheduler, address), dask_process("worker", address, "--nthreads", 1, "--no-dashboard", cwd=worker_dir):
        with Client(address, timeout=60) as client: client.wait_for_workers(1, timeout=120)
        relative = command("train", *ONE_RUN, "--output-root", "experiments", "--dask-scheduler", address, cwd=client_dir, env=DASK_TIMEOUT)
        assert relative.returncode == 0, relative.stderr[-2000:]
        assert (client_dir / "experiments" / RUN / "summary.json").is_file() and not list(worker_dir.rglob("*.json"))
        sweep = start("train", *SMOKE, "--epochs", 200, "--output-root", "sweep", "--dask-scheduler", address, cwd=client_dir, env=DASK_TIMEOUT)
        finished = wait_for(lambda: list((client_dir / "sweep").rglob("summary.json")), 300, "a first finished run")
        scheduler.kill()
        _, stderr = sweep.communicate(timeout=120)
    lines = messages(stderr)
    assert sweep.returncode == 2 and len(lines) == 1 and "Traceback" not in stderr, stderr[-3000:]
    assert re.fullmatch(rf"loss-landscape: error: lost the Dask scheduler at {address}: \d of 4 tasks had finished "
                        r"\(their files are kept\); run the command again for the rest", lines[0]), lines[0]
    assert all(read_json(p)["status"] == "completed" for p in finished)


# --- item 7: one error boundary: OSError, ValueError, OverflowError -> one line naming the file or option, exit 2 -------------------

def report(smoke_pipeline, reports_root, **kw):
    return command("report", "--experiments-root", smoke_pipeline / "experiments", "--figures-root", smoke_pipeline / "figures",
                   "--reports-root", reports_root, **kw)


def test_unwritable_root_long_name_and_file_in_the_way(smoke_pipeline, tmp_path):
    denied = report(smoke_pipeline, "/sys/loss-landscape-test/reports")  # sysfs refuses a new folder, even to root
    assert re.fullmatch(r"loss-landscape: error: (Operation not permitted|Permission denied): /sys/loss-landscape-test(/reports)?", one_line(denied, 2))
    long_name = tmp_path / ("x" * 300)
    assert one_line(report(smoke_pipeline, long_name), 2) == f"loss-landscape: error: File name too long: {long_name}"
    (tmp_path / "file").write_text("keep me")
    assert one_line(report(smoke_pipeline, tmp_path / "file"), 2) == f"loss-landscape: error: File exists: {tmp_path / 'file'}"
    assert (tmp_path / "file").read_text() == "keep me"


def test_full_disk_names_the_file_and_leaves_no_temp_file(smoke_pipeline, tmp_path):
    "A file-size limit makes every write past 512 bytes fail as a full disk does (SIGXFSZ ignored: the write returns an error)."
    def small_disk():
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
        resource.setrlimit(resource.RLIMIT_FSIZE, (512, 512))
    line = one_line(report(smoke_pipeline, tmp_path / "reports", preexec_fn=small_disk), 2)
    assert re.fullmatch(rf"loss-landscape: error: File too large: {tmp_path / 'reports'}/\w+\.md", line), line
    assert not [p for p in tmp_path.rglob("*") if p.name.endswith(".tmp")]


BAD_NUMBERS = [("train", "--learning-rate", "inf"), ("train", "--workers", "99999999999999999999"), ("probe", "--slice-delta", "inf"),
               ("probe", "--sharpness-epsilons", "0.01,nan")]


@pytest.mark.parametrize("cmd,option,value", BAD_NUMBERS)
def test_infinite_nan_and_huge_numbers_are_refused_while_parsing(tmp_path, cmd, option, value):
    line = one_line(command(cmd, *SMOKE, option, value, "--output-root" if cmd == "train" else "--figures-root", tmp_path / "out"), 2)
    assert option in line and repr(value) in line and ("finite" in line or "below 2**63" in line), line
    assert not (tmp_path / "out").exists()


def test_empty_paths_and_addresses_are_refused():
    "The `path` and `address` argument types (the commands switch to them as they are rebuilt)."
    import argparse
    from loss_landscape.utils.arguments import ArgumentParser, address, path
    parser = ArgumentParser(prog="demo")
    parser.add_argument("--output-root", type=path)
    parser.add_argument("--dask-scheduler", type=address)
    for option in ("--output-root", "--dask-scheduler"):
        with pytest.raises(argparse.ArgumentTypeError): parser._option_string_actions[option].type("")
    assert parser.parse_args(["--output-root", "r", "--dask-scheduler", "tcp://h:1"]).output_root == Path("r")


# --- items 9 and 15: Ctrl-C is one line and exit 130; workers die with their parent ------------------------------------------------

@pytest.mark.parametrize("backend", [[], ["--workers", 2], pytest.param(["--dask-local", 2], marks=pytest.mark.slow),
                                     pytest.param(["--engine", "papermill"], marks=pytest.mark.slow)], ids=["in-process", "workers", "dask", "papermill"])
def test_ctrl_c_is_one_line_and_leaves_no_process(tmp_path, backend):
    "Ctrl-C reaches the whole process group, as from a terminal: exit 130, one line, no worker or kernel left behind."
    proc = start("train", *SMOKE, "--epochs", 400, *backend, "--output-root", tmp_path)
    wait_for(lambda: list(tmp_path.rglob("init_epoch0.pt")), 300, "training to start")
    descendants = psutil.Process(proc.pid).children(recursive=True)
    os.killpg(proc.pid, signal.SIGINT)
    _, stderr = proc.communicate(timeout=120)
    assert proc.returncode == 130 and messages(stderr) == [INTERRUPTED] and "Traceback" not in stderr, stderr[-3000:]
    wait_for(lambda: not alive(descendants), 20, "the workers to exit")


def test_killed_parent_takes_its_workers_along(tmp_path):
    proc = start("train", *SMOKE, "--epochs", 400, "--workers", 2, "--output-root", tmp_path)
    workers = wait_for(lambda: len(spawned_workers(proc.pid)) == 2 and spawned_workers(proc.pid), 300, "two workers")
    everything = psutil.Process(proc.pid).children(recursive=True)
    proc.kill()
    proc.wait()
    killed = time.monotonic()
    wait_for(lambda: not alive(everything), 10, f"the orphans {[p.pid for p in alive(everything)]} to exit")
    assert len(workers) == 2 and time.monotonic() - killed < 10


# --- item 10: files get the umask's mode ---------------------------------------------------------------------------------------

def test_files_have_the_umask_mode(smoke_pipeline, tmp_path):
    umask = os.umask(0); os.umask(umask)
    modes = {p.stat().st_mode & 0o777 for p in smoke_pipeline.rglob("*") if p.is_file()}  # checkpoints, results, figures, site pages
    assert modes == {0o666 & ~umask}, sorted(map(oct, modes))
    out = command("train", *ONE_RUN, "--output-root", tmp_path, preexec_fn=lambda: os.umask(0o027))
    assert out.returncode == 0, out.stderr[-2000:]
    assert {p.stat().st_mode & 0o777 for p in tmp_path.rglob("*") if p.is_file()} == {0o640}


# --- item 13: errors that name what is wrong ------------------------------------------------------------------------------------

def one_run_copy(smoke_pipeline, root) -> Path:
    "A copy of the smoke pipeline's first run alone (a group of one seed), to break without touching the shared one."
    shutil.copytree(smoke_pipeline / "experiments" / RUN, root / RUN)
    return root / RUN


def test_empty_and_truncated_checkpoints_name_the_file(smoke_pipeline, tmp_path):
    run = one_run_copy(smoke_pipeline, tmp_path / "experiments")
    final = next(run.glob("checkpoints/final_epoch*.pt"))
    final.write_bytes(b"")
    out = command("probe", *SMOKE, "--experiments-root", tmp_path / "experiments", "--figures-root", tmp_path / "figures")
    assert out.returncode == 1 and "Traceback" not in out.stderr and "IndexError" not in out.stderr, out.stderr[-3000:]
    assert f"unreadable checkpoint {final}: the file is empty" in out.stderr


def test_result_files_of_the_wrong_shape_name_the_file(tmp_path):
    from loss_landscape.landscape.sharpness import SharpnessResult
    empty, wrong = tmp_path / "empty/sharpness.json", tmp_path / "wrong/sharpness.json"
    for path, text in [(empty, ""), (wrong, "{}")]:
        path.parent.mkdir()
        path.write_text(text)
    with pytest.raises(ValueError, match=f"^empty JSON file {re.escape(str(empty))}$"): SharpnessResult.load(empty)
    with pytest.raises(ValueError, match=f"^{re.escape(str(wrong))} is not a SharpnessResult result: TypeError: "): SharpnessResult.load(wrong)


def test_task_failure_is_one_line_naming_its_group():
    from loss_landscape.experiments.parallel import TaskFailure
    failure = TaskFailure({"group_dir": "/r/dataset=moons/opt=sgd", "figures_dir": "/f", "configs": {"pca": {"grid": list(range(500))}}},
                          "ValueError: unreadable checkpoint /r/x.pt")
    assert str(failure) == "/r/dataset=moons/opt=sgd: ValueError: unreadable checkpoint /r/x.pt"


@pytest.mark.slow
def test_papermill_is_quiet_and_keeps_a_failed_notebook(smoke_pipeline, tmp_path):
    trained = command("train", *ONE_RUN, "--engine", "papermill", "--output-root", tmp_path / "trained")
    assert trained.returncode == 0 and not messages(trained.stderr), trained.stderr[-3000:]  # no kernel WARNING/ERROR lines
    assert (tmp_path / "trained" / RUN / "train.ipynb").is_file()
    run = one_run_copy(smoke_pipeline, tmp_path / "experiments")
    final = next(run.glob("checkpoints/final_epoch*.pt"))
    final.write_bytes(final.read_bytes()[:100])
    out = command("probe", *SMOKE, "--engine", "papermill", "--experiments-root", tmp_path / "experiments", "--figures-root",
                  tmp_path / "figures")
    kept = tmp_path / "figures" / RUN / "probe.failed.ipynb"
    assert out.returncode == 1 and "Traceback" not in out.stderr and "Kernel" not in out.stderr, out.stderr[-3000:]
    assert f"run.ipynb failed at In [" in out.stderr and f"ValueError: unreadable checkpoint {final}" in out.stderr
    assert f"(notebook kept: {kept})" in out.stderr
    errors = [o for c in json.loads(kept.read_text())["cells"] for o in c.get("outputs", []) if o["output_type"] == "error"]
    assert errors and errors[0]["ename"] == "ValueError" and str(final) in errors[0]["evalue"]
    assert not (tmp_path / "figures" / RUN / "probe.ipynb").exists()


# --- item 14: every backend writes the same bytes -------------------------------------------------------------------------------

def result_bytes(root) -> dict:
    "Relative path -> sha256 of every result file (JSON, NPZ, checkpoint) under `root`."
    return {k: v for k, v in tree_digest(root).items() if k.endswith((".json", ".npz", ".pt"))}


def differing(a: dict, b: dict) -> list:
    return sorted(k for k in a.keys() | b.keys() if a.get(k) != b.get(k))


@pytest.mark.slow
def test_every_backend_writes_the_same_bytes(smoke_pipeline, tmp_path):
    "One group of two seeds, trained and probed on local workers and on a Dask LocalCluster: the in-process files, bit for bit."
    group = RUN.parent
    reference = {"experiments": result_bytes(smoke_pipeline / "experiments" / group), "figures": result_bytes(smoke_pipeline / "figures" / group)}
    assert len(reference["figures"]) > 10
    for name, backend in [("workers", ["--workers", 2]), ("dask", ["--dask-local", 2])]:
        experiments, figures = tmp_path / name / "experiments", tmp_path / name / "figures"
        trained = command("train", *SMOKE, "--optimizers", "sgd", "--output-root", experiments, *backend)
        assert trained.returncode == 0, trained.stderr[-2000:]
        assert not differing(result_bytes(experiments / group), reference["experiments"]), (name, differing(result_bytes(experiments / group), reference["experiments"]))
        probed = command("probe", *SMOKE, "--experiments-root", experiments, "--figures-root", figures, *backend)
        assert probed.returncode == 0, probed.stderr[-2000:]
        assert not differing(result_bytes(figures / group), reference["figures"]), (name, differing(result_bytes(figures / group), reference["figures"]))
