"Every config validates each field with a one-line error naming the field, the value and what is allowed."
import json
import pytest
from loss_landscape.utils.configs import (ConnectivityConfig, DatasetConfig, ExperimentConfig, HessianConfig, InterpolationConfig,
                                          ModelConfig, PCAConfig, SharpnessConfig, SliceConfig, TrainingConfig)

INVALID = [
    (DatasetConfig, "name", "spirals"), (DatasetConfig, "n_train", 0), (DatasetConfig, "n_test", -1), (DatasetConfig, "noise", -0.1),
    (DatasetConfig, "n_clusters", 5), (ModelConfig, "hidden_sizes", (10, 0)), (ModelConfig, "activation", "sigmoid"),
    (ModelConfig, "num_classes", 1), (TrainingConfig, "optimizer", "rmsprop"), (TrainingConfig, "learning_rate", 0.0),
    (TrainingConfig, "momentum", 1.0), (TrainingConfig, "batch_size", 0), (TrainingConfig, "epochs", 0),
    (TrainingConfig, "lr_gamma", 0.0), (TrainingConfig, "loss", "hinge"), (TrainingConfig, "device", "tpu"),
    (TrainingConfig, "checkpoint_every", -1), (TrainingConfig, "track_sharpness_every", -2),
    (InterpolationConfig, "n_points", 1), (InterpolationConfig, "normalization", "global"), (SliceConfig, "delta", 0.0),
    (SliceConfig, "resolution_2d", 1), (SliceConfig, "normalization", "global"), (SliceConfig, "bias", "random"),
    (HessianConfig, "top_k", 0), (HessianConfig, "n_probes", 0), (HessianConfig, "method", "arnoldi"),
    (SharpnessConfig, "epsilons", (-0.1,)), (SharpnessConfig, "epsilons", (0.01, 0.0)), (SharpnessConfig, "n_samples", 0),
    (SharpnessConfig, "normalization", "sphere"), (SharpnessConfig, "restarts", 0), (SharpnessConfig, "ascent_steps", 0), (PCAConfig, "resolution", 1),
    (ConnectivityConfig, "bezier_steps", -1), (ExperimentConfig, "archs", ("huge",)), (ExperimentConfig, "seeds", ()),
    (TrainingConfig, "learning_rate", float("inf")), (ExperimentConfig, "model_factory", "mypkg.nets.make_net"),
]


@pytest.mark.parametrize("cls,name,value", INVALID)
def test_validation_error_names_field_value_and_allowed(cls, name, value):
    with pytest.raises(ValueError) as e:
        cls(**{name: value})
    msg = str(e.value)
    assert "\n" not in msg and f"{cls.__name__}.{name}={value!r}" in msg and "expected" in msg


@pytest.mark.parametrize("cfg", [DatasetConfig(name="gaussians", n_clusters=4), ModelConfig(hidden_sizes=()), TrainingConfig(optimizer="gd"),
                                 SharpnessConfig(epsilons=(0.01, 0.25), normalization="box"),
                                 ExperimentConfig(training=TrainingConfig(learning_rate=0.3), model_factory="mypkg.nets:make_net")])
def test_json_round_trip_is_exact(cfg):
    assert type(cfg).from_dict(json.loads(json.dumps(cfg.to_dict()))) == cfg


def test_an_explicit_learning_rate_always_wins():
    "The learning rate given is the one every run of the sweep trains at; left out, each optimizer trains at its own default."
    from loss_landscape.experiments.run_full_matrix import matrix_runs
    from loss_landscape.utils.configs import DEFAULT_LEARNING_RATES
    tasks = matrix_runs(ExperimentConfig(training=TrainingConfig(learning_rate=0.3), optimizers=("adam",)), "root")
    assert len(tasks) == 45 and {t["training"]["learning_rate"] for t in tasks} == {0.3}
    defaults = matrix_runs(ExperimentConfig(optimizers=("sgd", "adam", "gd"), archs=("medium",), activations=("relu",), seeds=(0,)), "root")
    assert [t["training"]["learning_rate"] for t in defaults] == [DEFAULT_LEARNING_RATES[o] for o in ("sgd", "adam", "gd")]
