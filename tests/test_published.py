"The published study as committed: its pages link only to files beside them, its tables parse, it stays small, and every effect it states is what its runs table gives."
import re, shutil
import numpy as np
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


# --- every effect a published study states, recomputed from its runs.csv by code of this test's own -------------------------------

AXIS_COLUMNS = {"depth (hidden layers)": "depth", "width (units in the widest hidden layer)": "width", "activation": "activation", "optimizer": "optimizer",
                "batch size": "batch_size", "training-set size": "n_train", "label noise": "label_noise"}
EFFECT = re.compile(r"^- (?P<label>.+?)(?: (?P<verb>rises|falls))?, (?P<axis>" + "|".join(map(re.escape, AXIS_COLUMNS)) + r") (?P<a>\S+) → (?P<b>\S+): "
                    r"(?P<unclear>no clear difference, )?(?P<estimate>\S+) \[(?P<low>\S+), (?P<high>\S+)\] \(n=(?P<n>\d+)\)", re.M)
SETTINGS = ["dataset", "depth", "width", "activation", "optimizer", "learning_rate", "batch_size", "n_train", "label_noise"]


def paired_interval(a: pd.Series, b: pd.Series, ratio: bool) -> tuple[int, float, float, float]:
    "n, mean change and its 95% Student-t interval: of b - a, or of b / a on the log scale."
    from scipy import stats
    change = np.log(b / a) if ratio else b - a
    n, mean = len(change), change.mean()
    half = stats.t.ppf(0.975, n - 1) * change.std(ddof=1) / np.sqrt(n)
    back = np.exp if ratio else float
    return n, back(mean), back(mean - half), back(mean + half)


def equals(column: pd.Series, printed_value: str) -> pd.Series:
    "Where `column` holds the value a page prints (`0` for 0.0, `relu` for relu)."
    try: return pd.to_numeric(column, errors="coerce") == float(printed_value)
    except ValueError: return column.astype(str) == printed_value


def recomputed(table: pd.DataFrame, axis: str, a: str, b: str, measure: str, ratio: bool) -> tuple[int, float, float, float]:
    "Runs equal in every setting but `axis` (the optimizer takes its learning rate along) and in seed; a measure constant in every group is one pair per group."
    held = [s for s in SETTINGS if s != axis and not (axis == "optimizer" and s == "learning_rate")]
    per_group = table.groupby("group")[measure].nunique(dropna=False).max() == 1
    keys = held if per_group else held + ["seed"]
    side = lambda value: table[equals(table[axis], value)].drop_duplicates(keys).set_index(keys)[measure]
    pairs = pd.concat([side(a).rename("a"), side(b).rename("b")], axis=1, join="inner").dropna()
    return paired_interval(pairs["a"], pairs["b"], ratio)


def printed(text: str) -> float: return float(text.lstrip("×").replace("−", "-"))


CONNECTIVITY = re.compile(r"^- (?P<path>Aligning hidden units changes the barrier|The trained Bezier curve changes the aligned barrier) by "
                          r"(?P<estimate>\S+) \[(?P<low>\S+), (?P<high>\S+)\] \(n=(?P<n>\d+)\)[^:]*: (?:it (?P<verb>rises|falls)|(?P<unclear>no clear difference))", re.M)
PATHS = {"Aligning hidden units changes the barrier": ("barrier_naive", "barrier_aligned"),
         "The trained Bezier curve changes the aligned barrier": ("barrier_aligned", "barrier_bezier")}


def check_stated(m: re.Match, n: int, estimate: float, low: float, high: float, ratio: bool):
    "A stated effect `m` against the recomputed one: pairs, estimate and interval to the printed digits, a verdict its interval supports."
    assert n == int(m["n"]), f"{m[0]}: {n} pairs here"
    for mine, theirs in ((estimate, m["estimate"]), (low, m["low"]), (high, m["high"])):
        assert np.isclose(mine, printed(theirs), rtol=5e-3, atol=0), f"{m[0]}: {mine:.4g} here"
    null = 1.0 if ratio else 0.0
    clear = low > null or high < null
    assert clear == (m["unclear"] is None) and (not clear or m["verb"] == ("rises" if estimate > null else "falls")), m[0]


@pytest.mark.parametrize("study", STUDIES, ids=lambda p: p.name)
def test_every_stated_effect_is_recomputed_from_the_runs_table(study):
    "Each matched effect the studies state, with its pairs, interval and verdict, recomputed from `runs.csv`."
    from loss_landscape.reports.markdown import labels
    column = {label: c for c, label in labels().items()}
    table = pd.read_csv(study / "runs.csv")
    table = table[table.status == "completed"]
    text = "\n".join(page.read_text() for page in sorted(study.glob("*_study.md")))
    axes, paths = list(EFFECT.finditer(text)), list(CONNECTIVITY.finditer(text))
    stated = [line for line in text.splitlines() if line.startswith("- ") and "(n=" in line and (" → " in line or " by " in line)]
    assert len(axes) + len(paths) == len(stated) > 0 and paths, f"{len(axes) + len(paths)} of {len(stated)} effect lines read"
    for m in axes:
        ratio = m["estimate"].startswith("×")
        check_stated(m, *recomputed(table, AXIS_COLUMNS[m["axis"]], m["a"], m["b"], column[m["label"]], ratio), ratio)
    groups = table.drop_duplicates("group")
    for m in paths:
        pairs = groups[list(PATHS[m["path"]])].dropna()
        check_stated(m, *paired_interval(pairs.iloc[:, 0], pairs.iloc[:, 1], ratio=False), ratio=False)
