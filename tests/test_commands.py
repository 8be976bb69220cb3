"Each command does one thing, answers --help without loading torch, and no module but the runs module and the registry names a result file."
import ast, os, re, subprocess, sys
import pytest
from conftest import COMMAND_ENV, ROOT, cli, fresh_cli, tree_digest, warm_commands

COMMANDS = ["train", "probe", "report", "site", "all"]


@pytest.mark.parametrize("command", COMMANDS)
def test_help_names_the_command_and_loads_no_heavy_module(command):
    code = ("import sys, contextlib, io\nfrom loss_landscape.cli import dispatch\nout = io.StringIO()\n"
            f"with contextlib.redirect_stdout(out), contextlib.suppress(SystemExit): dispatch([{command!r}, '--help'])\n"
            "print(out.getvalue().splitlines()[0])\nprint(sorted(m for m in ('torch', 'numpy', 'pandas', 'matplotlib', 'scipy') if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT)
    usage, heavy = out.stdout.strip().splitlines()
    assert usage.startswith(f"usage: loss-landscape {command}") and heavy == "[]", out.stdout + out.stderr


@pytest.mark.parametrize("command,root,says", [("train", "--output-root", "is a file"), ("probe", "--experiments-root", "is a file"),
                                               ("report", "--experiments-root", "does not exist"), ("site", "--experiments-root", "does not exist"),
                                               ("all", "--root", "is a file")])
def test_a_mistyped_root_is_refused_before_torch_loads(command, root, says, tmp_path):
    "A root that is a file or missing is one line and exit 2 at once: the commands check their roots before the modules that do the work load."
    path = tmp_path / ("file" if says == "is a file" else "missing")
    if says == "is a file": path.write_text("keep me")
    code = ("import sys\nfrom loss_landscape.cli import dispatch\nfrom loss_landscape.utils.arguments import run_cli\n"
            f"code = run_cli(dispatch, [{command!r}, {root!r}, {str(path)!r}])\nprint(code, 'torch' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT)
    assert out.stdout.split() == ["2", "False"] and out.stderr.strip().startswith(f"loss-landscape: error: {root} {path} {says}"), out.stdout + out.stderr
    assert not path.exists() or path.read_text() == "keep me"


@pytest.mark.slow
def test_spec_modules_keep_their_meaning():
    "`run_full_matrix` trains; `run_probes_and_reports` probes and then writes the studies, as SPEC 2.2 says."
    for module, option in [("run_full_matrix", "--output-root"), ("run_probes_and_reports", "--reports-root")]:
        out = subprocess.run([sys.executable, "-m", f"loss_landscape.experiments.{module}", "--help"], capture_output=True, text=True, cwd=ROOT)
        assert out.returncode == 0 and out.stdout.startswith(f"usage: python -m loss_landscape.experiments.{module}") and option in out.stdout
    probe_help = fresh_cli("probe", "--help")
    assert "--reports-root" not in probe_help.stdout


RESULT_FILE = re.compile(r"[\w./=-]*\.(json|npz|png|pt)")


def test_only_the_runs_module_and_the_registry_name_result_files():
    "A string literal that is a result file's name or path appears in no other module of the package."
    spelled = []
    for path in sorted((ROOT / "loss_landscape").rglob("*.py")):
        if path.name in ("runs.py", "registry.py", "_modidx.py"): continue
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Constant) and isinstance(node.value, str) and RESULT_FILE.fullmatch(node.value) and node.value not in (".json",):
                spelled.append(f"{path.relative_to(ROOT)}:{node.lineno}: {node.value}")
    assert not spelled, spelled


def test_a_command_forked_from_the_warm_interpreter_is_a_fresh_one(tmp_path):
    "Inside a test, `cli` forks its command from the warm interpreter; its exit code, output and files are a fresh interpreter's."
    assert not warm_commands().differing(os.environ | COMMAND_ENV)  # pytest's variables, and those set as the tests run, keep it warm
    train = lambda root: ["train", "--preset", "smoke", "--seeds", "0", "--optimizers", "sgd", "--epochs", "2", "--output-root", tmp_path / root]
    fresh = fresh_cli(*train("fresh"))
    warm = cli(*train("warm"))
    assert warm.returncode == fresh.returncode == 0, warm.stderr[-2000:] + fresh.stderr[-2000:]
    assert warm.stdout.replace("warm", "ROOT") == fresh.stdout.replace("fresh", "ROOT")  # stderr: progress bars, with their timings
    assert tree_digest(tmp_path / "warm") == tree_digest(tmp_path / "fresh") and tree_digest(tmp_path / "warm")
    refused = ["train", "--device", "cuda", "--output-root", tmp_path / "refused"]
    fresh, warm = fresh_cli(*refused), cli(*refused)
    assert (warm.returncode, warm.stdout, warm.stderr) == (fresh.returncode, fresh.stdout, fresh.stderr) and warm.returncode == 2, warm.stderr
