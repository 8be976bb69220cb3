"nbdev's notebook processing, the step of `nbdev-docs` before Quarto: it runs every chapter's cells that show_doc needs."
import subprocess, sys
from pathlib import Path
import pytest

ROOT = Path(__file__).resolve().parents[1]


def changed_files() -> str:
    return subprocess.run(["git", "status", "--porcelain"], cwd=ROOT, capture_output=True, text=True, check=True).stdout


@pytest.mark.slow
def test_docs_processing_succeeds_and_leaves_git_as_it_was():
    before = changed_files()
    # `make docs-check` without make: every notebook, whatever an earlier processing cached
    done = subprocess.run([str(Path(sys.executable).parent / "nbdev-proc-nbs"), "--force"], cwd=ROOT, capture_output=True, text=True)
    for name in ("_quarto.yml", "nbdev.yml", "sidebar.yml"): (ROOT / "nbs" / name).unlink(missing_ok=True)  # nbdev's, written into nbs/
    assert done.returncode == 0, done.stderr[-3000:]
    assert changed_files() == before
