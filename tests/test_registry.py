"Adding a probe is one record in the registry: it then has options, runs in the probing loop, and is a column of the studies and the site."
import contextlib, io
from pathlib import Path
import pytest
from loss_landscape import cli, registry
from extra_probe import WeightNormConfig

RECORD = registry.Probe("weight_norm", WeightNormConfig, "run", "extra_probe:weight_norm", "extra_probe:WeightNorm", "weight_norm/weight_norm.json",
                        measures=(registry.Measure("weight_norm", "weight norm", "‖θ‖ at the final weights", lambda r: r.norm, flatter=""),))


@pytest.fixture
def with_weight_norm(monkeypatch, tmp_path):
    "The registry with one more probe, defined outside the package; the working directory has no site definition."
    monkeypatch.setitem(registry.PROBES, "weight_norm", RECORD)
    monkeypatch.syspath_prepend(str(Path(__file__).parent))
    monkeypatch.chdir(tmp_path)
    return tmp_path


def test_a_new_probe_needs_no_other_edit(with_weight_norm):
    root = with_weight_norm
    help_text = cli.probe_parser()[0].format_help()
    assert "--weight-norm-scale" in help_text and "the norm is multiplied by this" in help_text
    experiments, figures = root / "experiments", root / "figures"
    with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()):
        assert cli.train(["--preset", "smoke", "--seeds", "0", "--optimizers", "sgd", "--output-root", str(experiments)]) == 0
        assert cli.probe(["--preset", "smoke", "--weight-norm-scale", "2", "--experiments-root", str(experiments), "--figures-root", str(figures)]) == 0
        assert cli.report(["--experiments-root", str(experiments), "--figures-root", str(figures), "--reports-root", str(root)]) == 0
        assert cli.site(["--experiments-root", str(experiments), "--figures-root", str(figures), "--reports-root", str(root),
                         "--out", str(root / "site"), "--no-studies"]) == 0
    [result] = figures.rglob("weight_norm/weight_norm.json")
    assert '"scale": 2.0' in result.read_text()
    assert "weight norm" in (root / "depth_study.md").read_text() and "weight norm" in (root / "site/depth_study.html").read_text()
