"A probe defined outside the package, for the registry test: the norm of the final weights."
from dataclasses import dataclass
from loss_landscape.utils.configs import ConfigBase, check_positive
from loss_landscape.utils.io import ResultBase


@dataclass(frozen=True)
class WeightNormConfig(ConfigBase):
    "The norm of the final weights."
    scale: float = 1.0  # the norm is multiplied by this

    def __post_init__(self): check_positive(self, "scale")


@dataclass(frozen=True)
class WeightNorm(ResultBase):
    norm: float
    settings: dict


def weight_norm(solution, config) -> WeightNorm:
    return WeightNorm(config.scale * solution.theta.norm().item(), config.to_dict())
