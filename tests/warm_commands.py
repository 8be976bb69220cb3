"""A warm interpreter that forks one process per command, the program behind `conftest.cli`.

Each `loss-landscape` command a test runs is a process of its own, as a user's is; what it does not pay again is
loading PyTorch, SciPy, matplotlib and nbformat (2-5 s a command). This program is run as `python -c SOURCE` with the
commands' environment, so that a command sees what `python -c "...main()" ARGS` would: the same `sys.path`, hash seed
and matplotlib backend, and no main module for a spawned worker to import again. It loads the modules (doing no work
with them, so no thread pool exists yet to be lost in a fork), then answers requests, one JSON line each on stdin:
{"args", "cwd", "env", "stdout", "stderr", "timeout"}. It forks a child that runs the command with its output on two
pipes, copies them to the two files until every writer has closed them (the command and whatever it started, as
`subprocess.run` waits for them), and answers one line: the child's exit code, or "timeout" after killing it. Whatever
the loading wrote on stderr (a warning, say) starts every command's stderr: a fresh process would have written it too,
if the command imports that module."""
import atexit, contextlib, importlib, json, os, select, signal, sys, tempfile, threading, time, traceback

PRELOAD = ["loss_landscape.cli", "loss_landscape.experiments.run_full_matrix", "loss_landscape.experiments.run_probes_and_reports",
           "loss_landscape.reports.markdown", "loss_landscape.reports.site", "nbformat", "nbclient", "papermill"]


def preload() -> bytes:
    "Import `PRELOAD`; return what the imports wrote on stderr."
    with tempfile.TemporaryFile() as caught:
        saved = os.dup(2)
        os.dup2(caught.fileno(), 2)
        try:
            for name in PRELOAD: importlib.import_module(name)
        finally:
            sys.stderr.flush()
            os.dup2(saved, 2)
            os.close(saved)
        caught.seek(0)
        return caught.read()


def exit_code(stop: SystemExit) -> int:
    "The status Python gives `sys.exit(code)`: None is 0, a number itself, anything else printed and 1."
    if stop.code is None or isinstance(stop.code, int): return stop.code or 0
    print(stop.code, file=sys.stderr)
    return 1


def become(request: dict, pipes, preload_stderr: bytes):
    "Turn this forked child into `python -c '...main()' ARGS` started in `cwd` with `env`, its output on `pipes`."
    os.chdir(request["cwd"])
    pythonpath = request["env"].get("PYTHONPATH", "")
    if pythonpath != os.environ.get("PYTHONPATH", ""): sys.path[1:1] = pythonpath.split(os.pathsep)  # where Python puts it: after the script's folder
    os.environ.clear()
    os.environ.update(request["env"])
    devnull = os.open(os.devnull, os.O_RDONLY)
    os.dup2(devnull, 0)
    os.close(devnull)
    for fd, (read, write) in zip((1, 2), pipes):
        os.dup2(write, fd)
        os.close(read), os.close(write)
    os.write(2, preload_stderr)
    sys.argv = ["-c", *request["args"]]


def command(request: dict, pipes, preload_stderr: bytes):
    "In the forked child: run the command and end as its interpreter would; never return to the server's loop."
    code = 1
    try:
        become(request, pipes, preload_stderr)
        try:
            from loss_landscape.cli import main
            main()
            code = 0
        except SystemExit as stop: code = exit_code(stop)
        threading._shutdown()  # what the interpreter does on its way out: join the threads, then the exit hooks
        atexit._run_exitfuncs()
    except BaseException: traceback.print_exc()
    finally:
        with contextlib.suppress(BaseException): sys.stdout.flush(), sys.stderr.flush()
        os._exit(code)


def relay(pipes, paths, deadline: float) -> bool:
    "Copy each pipe to its file until all its writers closed it, or until `deadline`; whether they all did."
    files = {read: open(path, "wb") for (read, _), path in zip(pipes, paths)}
    while files and (left := deadline - time.monotonic()) > 0:
        for read in select.select(list(files), [], [], left)[0]:
            if data := os.read(read, 1 << 16): files[read].write(data)
            else: files.pop(read).close(), os.close(read)
    for read, file in files.items(): file.close(), os.close(read)
    return not files


def exited(pid: int, deadline: float) -> bool:
    "Whether process `pid` (a child) ends before `deadline`."
    child = os.pidfd_open(pid)
    try: return bool(select.select([child], [], [], max(deadline - time.monotonic(), 0))[0])
    finally: os.close(child)


def serve():
    preload_stderr = preload()
    for line in sys.stdin:
        request = json.loads(line)
        pipes = [os.pipe(), os.pipe()]
        pid = os.fork()
        if pid == 0: command(request, pipes, preload_stderr)
        for _, write in pipes: os.close(write)
        deadline = time.monotonic() + request["timeout"]
        ended = relay(pipes, (request["stdout"], request["stderr"]), deadline) and exited(pid, deadline)
        if not ended: os.kill(pid, signal.SIGKILL)
        status = os.waitpid(pid, 0)[1]
        print(os.waitstatus_to_exitcode(status) if ended else "timeout", flush=True)


if __name__ == "__main__": serve()
