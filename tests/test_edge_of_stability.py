"Sharpness tracking through the command line (the Edge of Stability itself, its plateau at 2/rate and the divergence beyond, is checked in its chapter)."
import pytest


@pytest.mark.slow
def test_tracking_is_recorded_through_the_command_line(tmp_path):
    import json
    from conftest import cli
    out = cli("train", "--preset", "smoke", "--seeds", "0", "--optimizers", "gd", "--track-sharpness-every", "2", "--output-root", tmp_path)
    assert out.returncode == 0, out.stderr
    metrics = json.loads(next(tmp_path.rglob("metrics.json")).read_text())
    assert [r["epoch"] for r in metrics["sharpness"]] == [0, 2, 4, 6]
    assert all(r["top_eigenvalue"] > 0 for r in metrics["sharpness"])
