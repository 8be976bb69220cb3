"Your own model and data, as a user's module would define them: used by the tests through `--model` and `--dataset`."
import math
import torch
from torch import nn
from loss_landscape.data.datasets import Dataset


def layer_norm_net():
    "A small network with LayerNorm: not an MLPClassifier, so every probe takes its generic path."
    return nn.Sequential(nn.Linear(2, 16), nn.LayerNorm(16), nn.Tanh(), nn.Linear(16, 2))


def three_class_net():
    return nn.Sequential(nn.Linear(2, 8), nn.Tanh(), nn.Linear(8, 3))


def rings():
    "Two noisy rings around the origin, one per class; the same every call."
    gen = torch.Generator().manual_seed(0)
    def draw(n):
        y = torch.randint(0, 2, (n,), generator=gen)
        angle = 2 * math.pi * torch.rand(n, generator=gen)
        radius = 1.0 + y + 0.2 * torch.randn(n, generator=gen)
        return torch.stack([radius * angle.cos(), radius * angle.sin()], 1), y
    return Dataset(*draw(120), *draw(120))


def not_a_dataset():
    return {"x": torch.zeros(3, 2)}
