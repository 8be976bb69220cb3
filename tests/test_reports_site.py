"The studies and the site: report exit codes, Markdown links, malformed result files (the site in a browser: test_site_browser.py)."
import re, shutil
from urllib.parse import unquote
import pytest
from conftest import cli
from loss_landscape.reports.markdown import STUDY_FILES as STUDIES


def test_markdown_studies_link_to_existing_figures(smoke_pipeline):
    for name in STUDIES:
        text = (smoke_pipeline / name).read_text()
        for target in re.findall(r"\]\(([^)#]+)\)", text):
            if "://" in target: continue
            assert (smoke_pipeline / unquote(target)).exists(), f"{name}: broken link {target}"
    assert "![" in (smoke_pipeline / "depth_study.md").read_text()


def test_report_on_empty_root_and_missing_probes(tmp_path, smoke_pipeline):
    empty = cli("report", "--experiments-root", tmp_path / "none", "--figures-root", tmp_path / "none", "--reports-root", tmp_path / "r1")
    assert empty.returncode == 2 and "--experiments-root" in empty.stderr and not (tmp_path / "r1").exists()  # a mistyped root writes no study
    missing = cli("report", "--experiments-root", smoke_pipeline / "experiments", "--figures-root", tmp_path / "nofigures", "--reports-root", tmp_path / "r2")
    assert missing.returncode == 1
    assert "missing probe results" in (tmp_path / "r2/summary.md").read_text() and "loss-landscape probe" in (tmp_path / "r2/summary.md").read_text()


RUN = "dataset=moons/arch=shallow-small/act=relu/opt=sgd/seed=0"
MALFORMED = [("experiments", f"{RUN}/summary.json", "[]", "expected a JSON object, found list"),
             ("experiments", f"{RUN}/summary.json", "{}", "missing dataset, model, training, status, n_params"),
             ("experiments", f"{RUN}/summary.json", '{"status": "completed"}', "missing dataset, model, training, n_params"),
             ("experiments", f"{RUN}/metrics.json", '{"train_loss": []}', "missing epoch, train_acc, test_loss, test_acc"),
             ("figures", "dataset=moons/arch=shallow-small/act=relu/opt=sgd/connectivity/connectivity.json", '{"pairs": [{}]}', "missing skipped"),
             ("figures", "dataset=moons/arch=shallow-small/act=relu/opt=sgd/connectivity/connectivity.json", '{"pairs": [{}], "skipped": null}',
              "each pair needs its two `seeds`"),
             ("figures", f"{RUN}/hessian/spectrum.json", '{"top_eigenvalues": []}', "missing residuals")]


@pytest.mark.parametrize("root,rel,text,message", MALFORMED)
def test_a_malformed_file_fails_its_run_not_the_report(smoke_pipeline, tmp_path, root, rel, text, message):
    "Valid JSON of the wrong shape: that run (or group) is named in one line, every study is still written, the exit code is 1."
    for name in ("experiments", "figures"): shutil.copytree(smoke_pipeline / name, tmp_path / name)
    (tmp_path / root / rel).write_text(text)
    out = cli("report", "--experiments-root", tmp_path / "experiments", "--figures-root", tmp_path / "figures", "--reports-root", tmp_path / "r")
    assert out.returncode == 1, out.stderr
    named = [l for l in out.stderr.splitlines() if message in l]
    assert len(named) == 1 and str(tmp_path / root / rel) in named[0], out.stderr
    assert sorted(p.name for p in (tmp_path / "r").glob("*.md")) == sorted(STUDIES)
    summary = (tmp_path / "r/summary.md").read_text()
    assert message in summary and "dataset=moons/arch=shallow-small/act=relu/opt=adam" in summary  # the other runs are still there


def test_a_probe_of_the_registry_is_everywhere(smoke_pipeline):
    "The gradient norm was added as one record: it has options, runs on every run, and is a column of the studies and the site."
    help_text = cli("probe", "--help").stdout
    assert "--gradient-norm-subset" in help_text
    assert len(list((smoke_pipeline / "figures").rglob("gradient_norm/gradient_norm.json"))) == 4
    for page in ("depth_study.md", "summary.md"): assert "gradient norm" in (smoke_pipeline / page).read_text()
    assert "gradient norm" in (smoke_pipeline / "site/depth_study.html").read_text()
    assert "gradient norm" in (smoke_pipeline / "site/studies_depth.html").read_text()
    assert "learning rate" in (smoke_pipeline / "site/studies_width.html").read_text()


@pytest.mark.slow
def test_site_on_two_workers_writes_the_same_pages(smoke_pipeline, tmp_path):
    "Study notebooks and configuration pages on 2 processes: the same pages as the pipeline's in-process site, and every study."
    root = tmp_path / "reports"
    shutil.copytree(smoke_pipeline, root, ignore=shutil.ignore_patterns("configs", "studies", "site"))
    done = cli("site", "--experiments-root", root / "experiments", "--figures-root", root / "figures", "--reports-root", root,
               "--out", root / "site", "--workers", 2, cwd=tmp_path)  # no _quarto.yml there: the studies and pages, not the chapters
    assert done.returncode == 0, done.stderr[-3000:]
    pages = lambda folder: {p.relative_to(folder): p.read_text() for p in sorted((folder / "configs").rglob("*.md"))}
    assert pages(root) == pages(smoke_pipeline) and len(pages(root)) >= 2
    assert sorted(p.name for p in (root / "studies").glob("*.ipynb")) == sorted(p.name for p in (smoke_pipeline / "studies").glob("*.ipynb"))
    assert (root / "site" / "index.html").is_file()
