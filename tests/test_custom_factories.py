"Your own model and data through the command line: the pipeline end to end, and one-line errors for functions that break the contract."
import json, os
import pytest
from conftest import ROOT, cli

TESTS = str(ROOT / "tests")


def own(*args, **kwargs):
    "The command line with this folder on PYTHONPATH, so that `custom_factories` imports in every process."
    return cli(*args, env={"PYTHONPATH": os.pathsep.join(filter(None, [TESTS, os.environ.get("PYTHONPATH")]))}, **kwargs)


@pytest.mark.slow
def test_own_model_and_data_through_the_pipeline(tmp_path):
    out = own("all", "--preset", "smoke", "--model", "custom_factories:layer_norm_net", "--dataset", "custom_factories:rings",
              "--optimizers", "adam", "--root", tmp_path, cwd=tmp_path)
    assert out.returncode == 0, out.stdout[-2000:] + out.stderr[-2000:]
    group = tmp_path / "experiments/dataset=rings/arch=layer_norm_net/act=custom/opt=adam"
    summary = json.loads((group / "seed=0/summary.json").read_text())
    assert summary["model"] == {"factory": "custom_factories:layer_norm_net"} and summary["dataset"] == {"factory": "custom_factories:rings"}
    figures = tmp_path / "figures/dataset=rings/arch=layer_norm_net/act=custom/opt=adam"
    assert (figures / "seed=1/hessian/spectrum.json").is_file() and (figures / "pca/pca_surface.png").is_file()
    assert "aligning hidden units is defined for an MLPClassifier" in json.loads((figures / "connectivity/connectivity.json").read_text())["skipped"]
    assert "layer_norm_net" in (tmp_path / "summary.md").read_text() and "layer_norm_net" in (tmp_path / "site/studies_summary.html").read_text()


BAD = [(["--model", "custom_factories:missing"], "model factory custom_factories:missing: module custom_factories has no 'missing'"),
       (["--model", "nowhere.nets:make_net"], "model factory nowhere.nets:make_net: cannot import nowhere.nets"),
       (["--model", "custom_factories:rings"], "model factory custom_factories:rings returned Dataset; expected a torch.nn.Module"),
       (["--model", "custom_factories:three_class_net", "--dataset", "custom_factories:rings"],
        "model custom_factories:three_class_net returns (4, 3) for 4 inputs of custom_factories:rings; expected logits of shape (4, 2)"),
       (["--dataset", "custom_factories:not_a_dataset"], "dataset custom_factories:not_a_dataset returned dict; expected a Dataset"),
       (["--model", "layer_norm_net"], "expected module:function")]


@pytest.mark.parametrize("args,message", BAD)
@pytest.mark.slow
def test_a_function_that_breaks_the_contract_is_one_line(tmp_path, args, message):
    out = own("train", "--preset", "smoke", *args, "--output-root", tmp_path / "experiments")
    assert out.returncode == 2 and message in out.stderr and len(out.stderr.strip().splitlines()) == 1, out.stderr
    assert not (tmp_path / "experiments").exists()
