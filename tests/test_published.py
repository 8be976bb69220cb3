"The published study is complete as committed: its pages link only to files beside them, its tables parse, and it stays small."
import re, shutil
from pathlib import Path
from urllib.parse import unquote
import pandas as pd
import pytest
from loss_landscape.reports.markdown import IMAGE_LINK, completed, gap_range, report_command

PUBLISHED = Path(__file__).resolve().parents[1] / "reports" / "published"
STUDIES = sorted(p for p in PUBLISHED.glob("*/") if p.is_dir())


def test_published_studies_exist():
    assert (PUBLISHED / "index.md").is_file(), "reports/published/index.md is missing"
    assert STUDIES, "reports/published holds no study"


@pytest.mark.parametrize("study", STUDIES, ids=lambda p: p.name)
def test_every_link_resolves_inside_the_study(study):
    for page in study.glob("*.md"):
        for _, target in re.findall(IMAGE_LINK, page.read_text()):
            assert not target.startswith(("/", "..")), f"{page.name} links outside the study: {target}"
            assert (study / unquote(target)).is_file(), f"{page.name}: missing {target}"


@pytest.mark.parametrize("study", STUDIES, ids=lambda p: p.name)
def test_runs_table_and_summary_agree(study):
    table = pd.read_csv(study / "runs.csv")
    low, high, n = gap_range(table)
    assert n == len(completed(table)) > 0
    assert f"{low:.3g} to {high:.3g}" in (study / "summary.md").read_text()


def test_published_study_is_small():
    size = sum(f.stat().st_size for f in PUBLISHED.rglob("*") if f.is_file())
    assert size <= 15e6, f"reports/published holds {size / 1e6:.1f} MB; at most 15 MB"


def test_reports_never_write_into_published(tmp_path):
    "The studies of any root are written beside `published/`, never into it."
    reports = tmp_path / "reports"
    shutil.copytree(PUBLISHED, reports / "published")
    before = {p: p.read_bytes() for p in (reports / "published").rglob("*") if p.is_file()}
    try: report_command(tmp_path / "experiments", tmp_path / "figures", reports)
    except Exception: pass  # a root without runs may be refused; either way nothing under published/ may change
    assert {p: p.read_bytes() for p in (reports / "published").rglob("*") if p.is_file()} == before
