"Every chapter's own checks, one test per chapter, run by nbdev's notebook tester: `pytest -q` covers what `nbdev-test` does."
import ast, atexit, io, json, re, sys
from pathlib import Path
import pytest
from nbdev.config import get_config
from nbdev.test import test_nb as run_chapter

ROOT = Path(__file__).resolve().parents[1]
NBS = ROOT / "nbs"
# nbdev-test's selection: notebooks under nbs/, not in folders or files starting with '_' or '.', none beside a `.notest` file.
CHAPTERS = sorted(p for p in NBS.rglob("*.ipynb")
                  if not any(part.startswith(("_", ".")) for part in p.relative_to(NBS).parts) and not (p.parent / ".notest").exists())


def runs_slow(config) -> bool:
    "Whether this session runs what is marked slow: not under `-m 'not slow'` (make test-fast)."
    return not re.search(r"\bnot\s+slow\b", config.getoption("markexpr") or "")


@pytest.fixture
def shell_cleanup_dropped(monkeypatch):
    """nbdev's tester runs each chapter in an IPython shell of its own, which asks to be cleaned up at the process's exit: a
    full garbage collection each, 0.2 s in a test process this size, one after another as the worker ends. Its chapter
    done, the shell is not used again, so its clean-up is dropped then; other exit handlers a chapter registers stay."""
    from IPython.core.interactiveshell import InteractiveShell
    registered, register = [], atexit.register
    def noted(fn, *args, **kwargs):
        registered.append(fn)
        return register(fn, *args, **kwargs)
    monkeypatch.setattr(atexit, "register", noted)
    yield
    for fn in registered:
        if isinstance(getattr(fn, "__self__", None), InteractiveShell): atexit.unregister(fn)


@pytest.mark.parametrize("chapter", CHAPTERS, ids=lambda p: str(p.relative_to(NBS).with_suffix("")))
def test_chapter(chapter, request, monkeypatch, shell_cleanup_dropped):
    "The chapter's cells run without error; cells flagged `#| slow` run unless slow tests are deselected."
    skip_flags = get_config(ROOT).tst_flags.split()
    report = io.StringIO()
    monkeypatch.setattr(sys, "__stderr__", report)  # where test_nb writes the failing cell's traceback
    passed, _ = run_chapter(chapter, skip_flags=skip_flags, force_flags=["slow"] if runs_slow(request.config) else [], basepath=ROOT)
    assert passed, f"{chapter.name} failed:\n{report.getvalue()}"


def test_every_chapter_is_collected():
    "The selection above finds the numbered chapters and skips the papermill templates (they need parameters)."
    names = {p.name for p in CHAPTERS}
    assert {"00a_io.ipynb", "11a_parallel.ipynb", "index.ipynb"} <= names and len(names) >= 20
    assert not names & {p.name for p in (NBS / "templates").glob("*.ipynb")}


def mixes_imports_with_code(source: str) -> bool:
    "nbdev's docs processing runs a cell that is not exported whenever it imports anything: true when such a cell also does other work."
    try: tree = ast.parse(source)
    except SyntaxError: return False  # IPython magics: nbdev cannot parse them either
    imports = lambda nodes: [n for n in nodes if isinstance(n, (ast.Import, ast.ImportFrom))]
    return bool(imports(ast.walk(tree))) and len(imports(tree.body)) < len(tree.body)


def test_demonstrations_keep_their_imports_in_a_cell_of_their_own():
    "Docs processing (nbdev-docs) runs every cell that imports: a demonstration that also imports would run there too, an experiment included."
    mixed = []
    for chapter in CHAPTERS:
        for i, cell in enumerate(json.loads(chapter.read_text())["cells"]):
            source = "".join(cell["source"])
            if cell["cell_type"] != "code" or re.search(r"^#\|\s*(export|exports|exporti|exec_doc|eval:\s*false)", source, re.M): continue
            if mixes_imports_with_code(source): mixed.append(f"{chapter.name} cell {i}")
    assert not mixed, f"move these cells' imports into a cell of their own: {', '.join(mixed)}"
