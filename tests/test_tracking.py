"Tracked sharpness is the top eigenvalue of the subset's Hessian at every measurement, through the catapults of large-step gradient descent."
import numpy as np
import pytest
import torch
from loss_landscape.data.datasets import make_dataset
from loss_landscape.experiments.train_model import build_model, sharpness_tracker, train_model
from loss_landscape.landscape.params import flat_parameters, loss_function
from loss_landscape.models.mlp import get_predefined_model_config
from loss_landscape.utils.configs import DatasetConfig, TrainingConfig


@pytest.mark.slow
@pytest.mark.parametrize("activation", ["relu", "tanh", "gelu"])
@pytest.mark.parametrize("learning_rate", [1.0, 2.0])
def test_tracked_sharpness_is_the_dense_top_eigenvalue(activation, learning_rate):
    data = make_dataset(DatasetConfig(n_train=500, n_test=200))
    config = TrainingConfig(optimizer="gd", learning_rate=learning_rate, checkpoint_every=0, track_sharpness_every=5)
    x, y = data.x_train[:config.sharpness_subset].double(), data.y_train[:config.sharpness_subset]
    tracker, exact = sharpness_tracker(data, config), []
    def measure(model, epoch, metrics):
        tracker(model, epoch, metrics)
        if epoch % config.track_sharpness_every == 0:
            hessian = torch.autograd.functional.hessian(loss_function(model, x, y), flat_parameters(model).double(), vectorize=True)
            exact.append(torch.linalg.eigvalsh(hessian)[-1].item())
    metrics = train_model(build_model(get_predefined_model_config("shallow-small", activation), 0), data, config, on_epoch_end=measure)
    assert metrics["status"] == "completed" and metrics["train_loss"][-1] < metrics["train_loss"][0] / 3, "the rate does not train"
    tracked = np.array([r["top_eigenvalue"] for r in metrics["sharpness"]])
    assert len(tracked) == len(exact) == config.epochs // config.track_sharpness_every + 1
    np.testing.assert_allclose(tracked, exact, rtol=1e-2)
    assert all(r["certified"] for r in metrics["sharpness"])
