"""A warm interpreter that forks one process per command, the program behind `conftest.cli`.

Each `loss-landscape` command a test runs is a process of its own with the real command line, as a user's is; what it
does not pay again is loading PyTorch, SciPy, matplotlib and nbformat (2-5 s a command). This program is run as
`python -c SOURCE` with the commands' environment, so that a command sees what `python -c "...main()" ARGS` would: the
same `sys.path`, hash seed and matplotlib backend, and no main module for a spawned worker to import again. It loads the
modules (doing no work with them, so no thread pool exists yet to be lost in a fork), then answers requests, one JSON
line each on stdin: {"args", "cwd", "env", "stdout", "stderr", "timeout"}. It forks a child that runs the command
with its output in the two files, and answers one line: the child's exit code, or "timeout" after killing it. Whatever the loading wrote on stderr (a warning, say) starts every command's stderr, where a fresh process
would have written it."""
import atexit, importlib, json, os, select, signal, sys, tempfile, threading, traceback

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


def command(request: dict, preload_stderr: bytes):
    "In the forked child: become `python -c '...main()' ARGS` in `cwd`, run it, and end as its interpreter would."
    os.chdir(request["cwd"])
    pythonpath = request["env"].get("PYTHONPATH", "")
    if pythonpath != os.environ.get("PYTHONPATH", ""): sys.path[1:1] = pythonpath.split(os.pathsep)  # where Python puts it: after the script's folder
    os.environ.clear()
    os.environ.update(request["env"])
    for fd, target in ((0, os.devnull), (1, request["stdout"]), (2, request["stderr"])):
        opened = os.open(target, os.O_RDONLY if fd == 0 else os.O_WRONLY | os.O_CREAT | os.O_TRUNC)
        os.dup2(opened, fd)
        os.close(opened)
    os.write(2, preload_stderr)
    sys.argv = ["-c", *request["args"]]
    try:
        from loss_landscape.cli import main
        main()
        code = 0
    except SystemExit as stop: code = exit_code(stop)
    except BaseException:
        traceback.print_exc()
        code = 1
    threading._shutdown()  # what the interpreter does on its way out: join the threads, then the exit hooks
    atexit._run_exitfuncs()
    sys.stdout.flush(), sys.stderr.flush()
    os._exit(code)


def serve():
    preload_stderr = preload()
    for line in sys.stdin:
        request = json.loads(line)
        pid = os.fork()
        if pid == 0: command(request, preload_stderr)
        child = os.pidfd_open(pid)
        ended = select.select([child], [], [], request["timeout"])[0]
        os.close(child)
        if not ended: os.kill(pid, signal.SIGKILL)
        status = os.waitpid(pid, 0)[1]
        print(os.waitstatus_to_exitcode(status) if ended else "timeout", flush=True)


if __name__ == "__main__": serve()
