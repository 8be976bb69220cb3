"The Edge of Stability on moons: at the largest rate that still trains, the sharpness plateaus at 2/rate."
import pytest
from loss_landscape.experiments.edge_of_stability import edge_of_stability_study, plateau


@pytest.mark.slow
def test_mse_plateau_sits_at_two_over_rate():
    runs = edge_of_stability_study("mse", rates=(0.2, 0.4, 0.8))
    trained = [lr for lr, m in runs.items() if m["status"] == "completed" and m["train_acc"][-1] > 0.9]
    assert trained, "no rate trained"
    lr = max(trained)
    assert lr == 0.4 and runs[0.8]["status"] == "diverged"
    ratio = plateau(runs[lr]) / (2 / lr)
    assert abs(ratio - 1) < 0.2, ratio


@pytest.mark.slow
def test_tracking_is_recorded_through_the_command_line(tmp_path):
    import json
    from conftest import cli
    out = cli("train", "--preset", "smoke", "--seeds", "0", "--optimizers", "gd", "--track-sharpness-every", "2", "--output-root", tmp_path)
    assert out.returncode == 0, out.stderr
    metrics = json.loads(next(tmp_path.rglob("metrics.json")).read_text())
    assert [r["epoch"] for r in metrics["sharpness"]] == [0, 2, 4, 6]
    assert all(r["top_eigenvalue"] > 0 for r in metrics["sharpness"])
