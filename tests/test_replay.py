"""Nothing lost, nothing silent: fifteen ways a careless or hostile user broke the commands, each replayed through the real
command line, asserting the exit code, one line on stderr, and the files kept or left unchanged. The sections follow the
fifteen failure modes in order; `tests/test_probe_cli.py` and `tests/test_reports_site.py` hold longer checks of the same
behaviour (results redone with --redo, every kind of malformed result file)."""
import contextlib, json, os, re, resource, shutil, signal, socket, subprocess, sys, time
from pathlib import Path
from urllib.parse import unquote
import psutil, pytest
from conftest import COMMAND, COMMAND_ENV, ROOT, cli, tree_digest
from loss_landscape.utils.io import HOST, LOCK_NAME, RunLock, read_json

SMOKE = ["--preset", "smoke"]
ONE_RUN = [*SMOKE, "--seeds", "0", "--optimizers", "sgd"]
RUN = Path("dataset=moons/arch=shallow-small/act=relu/opt=sgd/seed=0")
PROGRESS = re.compile(r"\d+%\|")  # tqdm's bars share stderr with the messages
INTERRUPTED = "loss-landscape: interrupted; run the same command again to resume"
GROUP = RUN.parent


def start(*args, cwd=None, env=None):
    "Start `loss-landscape ARGS` in its own session (so a test can send Ctrl-C to it as a terminal does)."
    return subprocess.Popen([*COMMAND, *map(str, args)], cwd=cwd or ROOT, env=os.environ | COMMAND_ENV | (env or {}),
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, start_new_session=True)


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


# --- 1: a mistyped or empty root is refused; a study of fewer runs says so --------------------------------------------------------

STUDIES = ["summary.md", "depth_study.md", "width_study.md", "activation_study.md", "optimizer_study.md", "connectivity_study.md"]


def copy_studies(smoke_pipeline, reports) -> dict:
    "The smoke pipeline's six studies copied into `reports`; returns their digest."
    reports.mkdir(parents=True)
    for name in STUDIES: shutil.copy(smoke_pipeline / name, reports / name)
    return tree_digest(reports)


def test_a_mistyped_or_empty_root_is_refused_and_the_studies_are_kept(smoke_pipeline, tmp_path):
    reports, figures = tmp_path / "reports", smoke_pipeline / "figures"
    before = copy_studies(smoke_pipeline, reports)
    typo, empty = smoke_pipeline / "experimnts", tmp_path / "empty"
    empty.mkdir()
    for root, says in [(typo, "does not exist"), (empty, "holds no trained runs")]:
        for args in [("report", "--figures-root", figures, "--reports-root", reports),
                     ("site", "--figures-root", figures, "--reports-root", reports, "--out", reports / "site"),
                     ("probe", *SMOKE, "--figures-root", tmp_path / "figures")]:
            line = one_line(cli(*args, "--experiments-root", root), 2)
            assert line.startswith(f"loss-landscape: error: --experiments-root {root} {says}"), line
    assert tree_digest(reports) == before and not (tmp_path / "figures").exists() and not list(empty.iterdir())


def test_a_study_of_fewer_runs_says_so(smoke_pipeline, tmp_path):
    "A root that holds one group of the four runs: the studies are written, and a line says they now describe fewer runs."
    reports = tmp_path / "reports"
    copy_studies(smoke_pipeline, reports)
    out = cli("report", "--experiments-root", smoke_pipeline / "experiments" / GROUP, "--figures-root", smoke_pipeline / "figures" / GROUP,
                  "--reports-root", reports)
    assert out.returncode == 0 and messages(out.stderr) == [
        f"note: {reports / 'summary.md'} described 4 runs; it now describes the 2 runs under {smoke_pipeline / 'experiments' / GROUP}"], out.stderr


# --- 2: other settings over finished results are refused, naming what differs -------------------------------------------------------

def test_other_settings_are_refused_and_nothing_changes(smoke_pipeline):
    before = tree_digest(smoke_pipeline)
    experiments, figures = smoke_pipeline / "experiments", smoke_pipeline / "figures"
    trained = one_line(cli("train", *SMOKE, "--epochs", 60, "--learning-rate", 0.3, "--output-root", experiments), 2)
    assert "4 runs were trained with other settings (pass --redo" in trained and "training.epochs 6 -> 60" in trained, trained
    assert "training.learning_rate 0.05 -> 0.3" in trained
    probed = one_line(cli("probe", *SMOKE, "--slice-resolution-2d", 15, "--experiments-root", experiments, "--figures-root", figures), 2)
    assert "4 runs or groups were probed with other settings (pass --redo" in probed and "slice.resolution_2d 7 -> 15" in probed, probed
    assert tree_digest(smoke_pipeline) == before


# --- 3: a run missing its final checkpoint fails, named; failed groups count --------------------------------------------------------

def failure_lines(stderr: str) -> list[str]:
    "The final `failed: FOLDER: ERROR` lines, each checked to be one short line without a task's arguments."
    lines = [l for l in messages(stderr) if l.startswith("failed: ")]
    assert all(len(l) < 600 and "'configs'" not in l for l in lines), lines
    return lines


def probed_group_copy(smoke_pipeline, root, group_probed: bool = False) -> tuple[Path, Path]:
    "The smoke pipeline's group of two seeds, trained, its runs probed (the group too if `group_probed`), copied under `root`."
    for seed in ("seed=0", "seed=1"): shutil.copytree(smoke_pipeline / "experiments" / GROUP / seed, root / "experiments" / GROUP / seed)
    if group_probed: shutil.copytree(smoke_pipeline / "figures" / GROUP, root / "figures" / GROUP)
    else:
        for seed in ("seed=0", "seed=1"): shutil.copytree(smoke_pipeline / "figures" / GROUP / seed, root / "figures" / GROUP / seed)
    return root / "experiments", root / "figures"


def one_run_copy(smoke_pipeline, root, run=RUN) -> Path:
    "A copy of one trained run of the smoke pipeline (a group of one seed), to break without touching the shared one."
    shutil.copytree(smoke_pipeline / "experiments" / run, root / run)
    return root / run


def probe(experiments, figures, *extra):
    return cli("probe", *SMOKE, "--experiments-root", experiments, "--figures-root", figures, *extra)


def test_a_missing_final_checkpoint_fails_its_run_by_name(smoke_pipeline, tmp_path):
    "Never probed at another epoch: the run fails, named, and the report says so with a non-zero exit."
    experiments, figures = tmp_path / "experiments", tmp_path / "figures"
    run = one_run_copy(smoke_pipeline, experiments)
    (run / "checkpoints/final_epoch6.pt").unlink()
    out = probe(experiments, figures)
    assert out.returncode == 1 and "failed 2" in out.stdout, out.stdout + out.stderr
    lines = failure_lines(out.stderr)
    assert lines == [f"failed: {run}: FileNotFoundError: run {run} is missing checkpoint checkpoints/final_epoch6.pt (epoch 6 of 6)",
                     f"failed: {run.parent}: FileNotFoundError: run {run} is missing checkpoint checkpoints/final_epoch6.pt (epoch 6 of 6)"], lines
    assert not (figures / RUN / "hessian").exists()
    report = cli("report", "--experiments-root", experiments, "--figures-root", figures, "--reports-root", tmp_path)
    assert report.returncode == 1 and f"missing probe results for `{RUN}`" in report.stderr
    assert "All runs completed and were probed" not in (tmp_path / "summary.md").read_text()


def test_failed_group_probes_count(smoke_pipeline, tmp_path):
    "A truncated trajectory checkpoint, then float64 weights: the group fails in one line, exit 1, and the report is incomplete."
    experiments, figures = probed_group_copy(smoke_pipeline, tmp_path)
    truncated = experiments / GROUP / "seed=1/checkpoints/epoch2.pt"
    original = truncated.read_bytes()
    truncated.write_bytes(original[:100])
    out = probe(experiments, figures)
    assert out.returncode == 1 and "probed 0 runs and groups, already done 2, diverged (not probed) 0, failed 1" in out.stdout, out.stdout
    assert failure_lines(out.stderr) == [f"failed: {experiments / GROUP}: ValueError: unreadable checkpoint {truncated}: RuntimeError: "
                                         "PytorchStreamReader failed reading zip archive: failed finding central directory"]
    report = cli("report", "--experiments-root", experiments, "--figures-root", figures, "--reports-root", tmp_path)
    assert report.returncode == 1 and f"missing probe results for the group `{GROUP}`" in report.stderr
    assert "No connectivity results yet" in (tmp_path / "connectivity_study.md").read_text()
    truncated.write_bytes(original)
    import torch
    wide = experiments / GROUP / "seed=0/checkpoints/epoch4.pt"
    torch.save({k: v.double() for k, v in torch.load(wide, weights_only=True).items()}, wide)
    out = probe(experiments, figures)
    assert out.returncode == 1 and len(failure_lines(out.stderr)) == 1 and failure_lines(out.stderr)[0].startswith(f"failed: {experiments / GROUP}: ")


# --- 4: the temp-file sweep removes only dead writers' files; locks share a root between commands -----------------------------------------

@pytest.mark.slow
def test_sweep_removes_only_dead_writers_temp_files(tmp_path):
    root = tmp_path / "experiments"
    dead = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True).stdout.strip()
    keep = {root / "notes/.draft.tmp": b"a user's draft", root / RUN / f".metrics.json.{os.getpid()}@{HOST}.0a1b2c3d.tmp": b"a live writer",
            root / RUN / f".metrics.json.{dead}@elsewhere.0a1b2c3d.tmp": b"another machine's writer"}
    stale = root / RUN / f".metrics.json.{dead}@{HOST}.0a1b2c3d.tmp"
    for path, content in [*keep.items(), (stale, b"a killed writer")]:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(content)
    out = cli("train", *ONE_RUN, "--output-root", root)
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


@pytest.mark.slow
def test_two_trains_on_one_root_train_each_run_once(tmp_path):
    "The second command starts while the first trains: each leaves the other's runs alone and waits for them at the end."
    root = tmp_path / "experiments"
    args = ("train", *SMOKE, "--epochs", 60, "--output-root", root)
    first = start(*args)
    wait_for(lambda: list(root.rglob("init_epoch0.pt")) or first.poll() is not None, 300, "the first command to start training")
    second = cli(*args)
    first_out, first_err = first.communicate(timeout=600)
    assert first.returncode == 0 and second.returncode == 0, first_err[-2000:] + second.stderr[-2000:]
    counts = [re.search(r"^4 runs in .*: (\d) trained, (\d) already done, 0 diverged, 0 failed$", out, re.M) for out in (first_out, second.stdout)]
    assert all(counts), (first_out, second.stdout)
    assert sum(int(c[1]) for c in counts) == 4 and all(int(c[1]) + int(c[2]) == 4 for c in counts) and int(counts[0][1]) >= 1
    assert len(list(root.rglob("summary.json"))) == 4 and not list(root.rglob(LOCK_NAME)) and not list(root.rglob("*.tmp"))


# --- 5 and 6: absolute paths for remote workers; Dask failures end in one line, within the timeout ----------------------------------------

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


@pytest.mark.slow
def test_dask_scheduler_without_workers_ends_within_its_timeout(tmp_path):
    with dask_scheduler() as (_, address):
        started = time.monotonic()
        out = cli("train", *ONE_RUN, "--output-root", tmp_path / "experiments", "--dask-scheduler", address, "--dask-timeout", 3, timeout=120)
        elapsed = time.monotonic() - started
    assert one_line(out, 2) == f"loss-landscape: error: the Dask scheduler at {address} has no workers (waited 3 s)"
    assert elapsed < 60, elapsed  # the 3 s wait and the start of an interpreter, not Dask's default of minutes
    assert not list(tmp_path.rglob("summary.json"))


@pytest.mark.slow
def test_dask_unreachable_and_empty_addresses(tmp_path):
    address = f"tcp://127.0.0.1:{free_port()}"
    unreachable = cli("train", *ONE_RUN, "--output-root", tmp_path, "--dask-scheduler", address, env=DASK_TIMEOUT, timeout=120)
    assert one_line(unreachable, 2) == f"loss-landscape: error: no Dask scheduler answered at {address} within 3 s"
    empty = cli("train", *ONE_RUN, "--output-root", tmp_path, "--dask-scheduler", "")
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
        relative = cli("train", *ONE_RUN, "--output-root", "experiments", "--dask-scheduler", address, cwd=client_dir, env=DASK_TIMEOUT)
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


# --- 7: one error boundary: OSError, ValueError, OverflowError -> one line naming the file or option, exit 2 ------------------------------

def report(smoke_pipeline, reports_root, **kw):
    return cli("report", "--experiments-root", smoke_pipeline / "experiments", "--figures-root", smoke_pipeline / "figures",
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
    line = one_line(cli(cmd, *SMOKE, option, value, "--output-root" if cmd == "train" else "--figures-root", tmp_path / "out"), 2)
    assert option in line and repr(value) in line and ("finite" in line or "below 2**63" in line), line
    assert not (tmp_path / "out").exists()


def test_probe_failures_are_listed_before_a_failing_report_step(smoke_pipeline, tmp_path):
    "SPEC's probe-and-report module: an empty and a NaN final checkpoint fail their runs, named; the report step's error comes last."
    experiments = tmp_path / "experiments"
    empty, nan = (one_run_copy(smoke_pipeline, experiments, RUN.with_name(seed)) / "checkpoints/final_epoch6.pt" for seed in ("seed=0", "seed=1"))
    empty.write_bytes(b"")
    import torch
    torch.save({k: v * float("nan") for k, v in torch.load(nan, weights_only=True).items()}, nan)
    out = subprocess.run([sys.executable, "-m", "loss_landscape.experiments.run_probes_and_reports", *SMOKE, "--experiments-root", experiments,
                          "--figures-root", tmp_path / "figures", "--reports-root", "/sys/loss-landscape-test"],
                         cwd=ROOT, capture_output=True, text=True, timeout=600)
    lines = messages(out.stderr)
    assert out.returncode == 2 and "Traceback" not in out.stderr and "IndexError" not in out.stderr, out.stderr[-3000:]
    assert lines[:3] == [f"failed: {empty.parents[1]}: ValueError: unreadable checkpoint {empty}: the file is empty",
                         f"failed: {nan.parents[1]}: ValueError: checkpoint {nan} holds non-finite weights (tensor 'layers.0.weight' has NaN or infinity)",
                         f"failed: {nan.parents[2]}: ValueError: unreadable checkpoint {empty}: the file is empty"], lines
    assert len(lines) == 4 and re.fullmatch(r"loss-landscape: error: (Operation not permitted|Permission denied): /sys/loss-landscape-test", lines[3]), lines


# --- 8: a result file of the wrong shape fails its run, not the command ---------------------------------------------------------------

def test_a_summary_of_the_wrong_shape_fails_its_run_and_keeps_its_group(smoke_pipeline, tmp_path):
    "`summary.json` = `[]`: probe names the file and the run's group (left as it was, not shrunk to one seed); report writes every study."
    experiments, figures = probed_group_copy(smoke_pipeline, tmp_path, group_probed=True)
    before = tree_digest(figures)
    summary = experiments / RUN / "summary.json"
    summary.write_text("[]")
    out = probe(experiments, figures)
    assert out.returncode == 1 and "already done 1" in out.stdout, out.stdout + out.stderr
    assert failure_lines(out.stderr) == [f"failed: {experiments / RUN}: ValueError: {summary}: expected a JSON object, found list",
                                         f"failed: {experiments / GROUP}: ValueError: its run seed=0 is unreadable; the group is left as it was"]
    assert tree_digest(figures) == before
    report = cli("report", "--experiments-root", experiments, "--figures-root", figures, "--reports-root", tmp_path / "r")
    assert report.returncode == 1 and set(STUDIES) <= {p.name for p in (tmp_path / "r").glob("*.md")}  # every study is still written
    assert [l for l in report.stderr.splitlines() if str(summary) in l] == [f"- failed: `{RUN}`: {summary}: expected a JSON object, found list"]


def test_an_empty_result_file_is_named_by_the_report(smoke_pipeline, tmp_path):
    for name in ("experiments", "figures"): shutil.copytree(smoke_pipeline / name, tmp_path / name)
    sharpness = tmp_path / "figures" / RUN / "sharpness/sharpness.json"
    sharpness.write_text("")
    out = cli("report", "--experiments-root", tmp_path / "experiments", "--figures-root", tmp_path / "figures", "--reports-root", tmp_path / "r")
    named = [l for l in out.stderr.splitlines() if str(sharpness) in l]
    assert out.returncode == 1 and len(named) == 1 and named[0].startswith(f"- unreadable probe result of `{RUN}`: "), out.stderr
    assert named[0].endswith(f"empty JSON file {sharpness}"), named


def test_result_files_of_the_wrong_shape_name_the_file(tmp_path):
    from loss_landscape.landscape.sharpness import SharpnessResult
    empty, wrong = tmp_path / "empty/sharpness.json", tmp_path / "wrong/sharpness.json"
    for path, text in [(empty, ""), (wrong, "{}")]:
        path.parent.mkdir()
        path.write_text(text)
    with pytest.raises(ValueError, match=f"^empty JSON file {re.escape(str(empty))}$"): SharpnessResult.load(empty)
    with pytest.raises(ValueError, match=f"^{re.escape(str(wrong))} is not a SharpnessResult result: TypeError: "): SharpnessResult.load(wrong)


# --- 9: workers die with their parent -----------------------------------------------------------------------------------------------------

@pytest.mark.slow
def test_killed_parent_takes_its_workers_along(tmp_path):
    proc = start("train", *SMOKE, "--epochs", 400, "--workers", 2, "--output-root", tmp_path)
    workers = wait_for(lambda: len(spawned_workers(proc.pid)) == 2 and spawned_workers(proc.pid), 300, "two workers")
    everything = psutil.Process(proc.pid).children(recursive=True)
    proc.kill()
    proc.wait()
    killed = time.monotonic()
    wait_for(lambda: not alive(everything), 10, f"the orphans {[p.pid for p in alive(everything)]} to exit")
    assert len(workers) == 2 and time.monotonic() - killed < 10


# --- 10: files get the umask's mode -------------------------------------------------------------------------------------------------------

def test_files_have_the_umask_mode(smoke_pipeline, tmp_path):
    umask = os.umask(0); os.umask(umask)
    modes = {p.stat().st_mode & 0o777 for p in smoke_pipeline.rglob("*") if p.is_file()}  # checkpoints, results, figures, site pages
    assert modes == {0o666 & ~umask}, sorted(map(oct, modes))
    out = cli("train", *ONE_RUN, "--output-root", tmp_path, preexec_fn=lambda: os.umask(0o027))
    assert out.returncode == 0, out.stderr[-2000:]
    assert {p.stat().st_mode & 0o777 for p in tmp_path.rglob("*") if p.is_file()} == {0o640}


# --- 11: a figures root with a space keeps its image links ---------------------------------------------------------------------------

def test_a_figures_root_with_a_space_keeps_its_image_links(smoke_pipeline, tmp_path):
    figures, reports = tmp_path / "my figures", tmp_path / "my reports"
    shutil.copytree(smoke_pipeline / "figures", figures)
    out = cli("report", "--experiments-root", smoke_pipeline / "experiments", "--figures-root", figures, "--reports-root", reports)
    assert out.returncode == 0, out.stderr[-2000:]
    links = [link for name in STUDIES for link in re.findall(r"!\[[^\]]*\]\(([^)]*)\)", (reports / name).read_text())]
    assert links and all(" " not in link and (reports / unquote(link)).is_file() for link in links), links[:3]
    site = cli("site", "--experiments-root", smoke_pipeline / "experiments", "--figures-root", figures, "--reports-root", reports,
                   "--out", reports / "site", "--no-studies", cwd=tmp_path)  # no _quarto.yml there: the studies alone
    assert site.returncode == 0, site.stderr[-2000:]
    images = [(page, src) for page in (reports / "site").glob("*.html") for src in re.findall(r'<img[^>]* src="([^"]+)"', page.read_text())]
    assert len(images) >= len(links) and all((page.parent / unquote(src)).is_file() for page, src in images), images[:3]


# --- 12: an empty path or address is refused -----------------------------------------------------------------------------------------

EMPTY = [("train", "--output-root"), ("train", "--dask-scheduler"), ("probe", "--experiments-root"), ("probe", "--figures-root"),
         ("report", "--experiments-root"), ("report", "--figures-root"), ("report", "--reports-root"), ("site", "--out"), ("all", "--root")]


@pytest.mark.parametrize("cmd,option", EMPTY)
def test_an_empty_string_is_refused(tmp_path, cmd, option):
    line = one_line(cli(cmd, option, "", cwd=tmp_path), 2)
    assert f"argument {option}: invalid value ''" in line, line
    assert not list(tmp_path.iterdir())


# --- 13: errors that name what is wrong (checkpoints and NaN weights: section 7, with infinite options) -----------------------------------

def test_task_failure_is_one_line_naming_its_group():
    from loss_landscape.experiments.parallel import TaskFailure
    failure = TaskFailure({"group_dir": "/r/dataset=moons/opt=sgd", "figures_dir": "/f", "configs": {"pca": {"grid": list(range(500))}}},
                          "ValueError: unreadable checkpoint /r/x.pt")
    assert str(failure) == "/r/dataset=moons/opt=sgd: ValueError: unreadable checkpoint /r/x.pt"


# --- 14: every backend writes the same bytes ---------------------------------------------------------------------------------------

def result_bytes(root) -> dict:
    "Relative path -> sha256 of every result file (JSON, NPZ, checkpoint) under `root`; every other file but a notebook -> 'figure'."
    return {k: v if k.endswith((".json", ".npz", ".pt")) else "figure" for k, v in tree_digest(root).items() if not k.endswith(".ipynb")}


def differing(a: dict, b: dict) -> list:
    return sorted(k for k in a.keys() | b.keys() if a.get(k) != b.get(k))


@pytest.mark.slow
def test_every_backend_writes_the_same_bytes(smoke_pipeline, tmp_path):
    "One group of two seeds, trained and probed on local workers and on a Dask LocalCluster: the in-process files, bit for bit."
    reference = {"experiments": result_bytes(smoke_pipeline / "experiments" / GROUP), "figures": result_bytes(smoke_pipeline / "figures" / GROUP)}
    assert len([v for v in reference["figures"].values() if v != "figure"]) > 10 and "figure" in reference["figures"].values()
    for name, backend in [("workers", ["--workers", 2]), ("dask", ["--dask-local", 2])]:
        experiments, figures = tmp_path / name / "experiments", tmp_path / name / "figures"
        trained = cli("train", *SMOKE, "--optimizers", "sgd", "--output-root", experiments, *backend)
        assert trained.returncode == 0, trained.stderr[-2000:]
        assert not differing(result_bytes(experiments / GROUP), reference["experiments"]), (name, differing(result_bytes(experiments / GROUP), reference["experiments"]))
        probed = cli("probe", *SMOKE, "--experiments-root", experiments, "--figures-root", figures, *backend)
        assert probed.returncode == 0, probed.stderr[-2000:]
        assert not differing(result_bytes(figures / GROUP), reference["figures"]), (name, differing(result_bytes(figures / GROUP), reference["figures"]))


@pytest.mark.slow
def test_papermill_writes_the_same_bytes_quietly_and_keeps_a_failed_notebook(smoke_pipeline, tmp_path):
    "One run trained and probed by executed notebooks: the in-process bytes, no kernel noise, each notebook kept; a failing one too."
    experiments, figures = tmp_path / "trained", tmp_path / "probed"
    trained = cli("train", *ONE_RUN, "--engine", "papermill", "--output-root", experiments)
    assert trained.returncode == 0 and not messages(trained.stderr), trained.stderr[-3000:]  # no kernel WARNING/ERROR lines
    assert (experiments / RUN / "train.ipynb").is_file()
    assert not differing(result_bytes(experiments / RUN), result_bytes(smoke_pipeline / "experiments" / RUN))
    probed = cli("probe", *SMOKE, "--engine", "papermill", "--experiments-root", experiments, "--figures-root", figures)
    assert probed.returncode == 0 and not messages(probed.stderr), probed.stderr[-3000:]
    assert (figures / RUN / "probe.ipynb").is_file()
    assert not differing(result_bytes(figures / RUN), result_bytes(smoke_pipeline / "figures" / RUN))
    final = experiments / RUN / "checkpoints/final_epoch6.pt"
    final.write_bytes(final.read_bytes()[:100])
    out = cli("probe", *SMOKE, "--engine", "papermill", "--experiments-root", experiments, "--figures-root", tmp_path / "figures")
    kept = tmp_path / "figures" / RUN / "probe.failed.ipynb"
    assert out.returncode == 1 and "Traceback" not in out.stderr and "Kernel" not in out.stderr, out.stderr[-3000:]
    assert "run.ipynb failed at In [" in out.stderr and f"ValueError: unreadable checkpoint {final}" in out.stderr
    assert f"(notebook kept: {kept})" in out.stderr
    errors = [o for c in json.loads(kept.read_text())["cells"] for o in c.get("outputs", []) if o["output_type"] == "error"]
    assert errors and errors[0]["ename"] == "ValueError" and str(final) in errors[0]["evalue"]
    assert not (tmp_path / "figures" / RUN / "probe.ipynb").exists()


# --- 15: quiet: Ctrl-C is one line and exit 130, a clean run prints nothing, --help imports no PyTorch ------------------------------------

@pytest.mark.parametrize("backend", [[], pytest.param(["--workers", 2], marks=pytest.mark.slow), pytest.param(["--dask-local", 2], marks=pytest.mark.slow),
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


ABANDONED_KERNEL = """
import asyncio, logging, sys, papermill
from loss_landscape.utils.arguments import run_cli
from loss_landscape.experiments.parallel import execute_template

def interrupted(*args, **kwargs):
    "What Ctrl-C can leave in nbclient when it lands as the kernel dies: a logged death and a task whose error nobody reads."
    async def dead(): raise RuntimeError("Kernel died")
    loop = asyncio.new_event_loop()
    task = loop.create_task(dead())
    loop.run_until_complete(asyncio.sleep(0.01))
    logging.getLogger("papermill").error("Kernel died while waiting for execute reply.")
    raise KeyboardInterrupt

papermill.execute_notebook = interrupted
logging.getLogger("papermill").isEnabledFor(logging.ERROR)  # cached, as after an earlier notebook in the same process
sys.exit(run_cli(lambda argv: execute_template("study.ipynb", sys.argv[1], {})))
"""


def test_ctrl_c_as_the_kernel_dies_is_still_one_line(tmp_path):
    "The race the papermill case above can lose: nbclient's log line and asyncio's report at exit of its abandoned task stay hidden."
    out = subprocess.run([sys.executable, "-c", ABANDONED_KERNEL, tmp_path / "study.ipynb"], capture_output=True, text=True, cwd=ROOT)
    assert out.returncode == 130 and out.stderr.splitlines() == [INTERRUPTED], out.stderr[-3000:]
    assert not list(tmp_path.iterdir())  # nor a temporary notebook left behind


def test_a_clean_run_prints_no_kernel_or_worker_noise(smoke_pipeline):
    "The whole `all` of the smoke preset (the session's shared pipeline): nothing on stderr but progress bars."
    assert messages((smoke_pipeline.parent / "all.stderr").read_text()) == []


@pytest.mark.parametrize("cmd", ["train", "all"])
def test_help_from_the_console_script_imports_no_torch(cmd):
    "What made `--help` slow: the console script itself, run as a user runs it, answers without importing PyTorch."
    script = Path(sys.executable).with_name("loss-landscape")
    out = subprocess.run([sys.executable, "-X", "importtime", script, cmd, "--help"], capture_output=True, text=True, cwd=ROOT)
    imported = {line.split("|")[-1].strip() for line in out.stderr.splitlines() if line.startswith("import time:")}
    assert out.returncode == 0 and out.stdout.startswith(f"usage: loss-landscape {cmd}") and imported, out.stderr[-2000:]
    assert not {"torch", "pandas", "matplotlib", "distributed"} & imported


def test_a_busy_dashboard_port_is_no_warning():
    "Dask's HTTP server takes another port when 8787 is busy (another cluster, a parallel test): the command says nothing of it."
    import warnings
    from loss_landscape.experiments.parallel import run_tasks
    with socket.socket() as busy, warnings.catch_warnings(record=True) as caught:
        with contextlib.suppress(OSError): busy.bind(("", 8787)); busy.listen()  # already taken is just as good
        warnings.simplefilter("always")
        assert run_tasks(dict, [{"a": 1}, {"b": 2}], dask_local=1, progress=False) == [{"a": 1}, {"b": 2}]
    assert not [w for w in caught if "already in use" in str(w.message)], [str(w.message) for w in caught]
