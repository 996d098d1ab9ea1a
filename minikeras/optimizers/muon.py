"""Muon: momentum orthogonalized by Newton-Schulz iterations (Jordan et al., 2024)."""

import math
import re

import numpy as np

from minikeras.optimizers.optimizer import Optimizer

__all__ = ["Muon"]


def _swap_last_axes(x):
    return np.swapaxes(x, -1, -2)


class Muon(Optimizer):
    """Muon for 2-D weights, AdamW for everything else, as Keras computes it.

    A 2-D variable takes the Muon step: `m = momentum * m + g`; the direction
    (`g + momentum * m` with `nesterov`, else `m`) is replaced by a nearby orthogonal
    matrix (`ns_steps` Newton-Schulz iterations with coefficients `muon_a, muon_b, muon_c`)
    and `w -= learning_rate * update * sqrt(max(rows, cols)) * rms_rate` (no last factors
    when `rms_rate` is None). Other variables, those with "embedding" in their path (with
    `exclude_embeddings`) and those whose path matches a regular expression in
    `exclude_layers` take an Adam step with `learning_rate * adam_lr_ratio`. Weight decay
    is `weight_decay` for Muon variables and `adam_weight_decay` for Adam ones. Each step
    looks at a whole matrix, so the update is per variable.

    Args:
        learning_rate: a float or a schedule (default 0.001).
        adam_beta_1, adam_beta_2: Adam's moment decays (0.9, 0.999).
        adam_weight_decay: decoupled weight decay of the Adam variables (0.004).
        epsilon: Adam's epsilon (1e-7).
        weight_decay: decoupled weight decay of the Muon variables (0.004).
        exclude_layers: regular expressions; matching variable paths use Adam.
        exclude_embeddings: use Adam for variables with "embedding" in their path (True).
        muon_a, muon_b, muon_c: Newton-Schulz coefficients (3.4445, -4.7750, 2.0315).
        adam_lr_ratio: learning-rate multiplier of the Adam variables (1).
        momentum: Muon's momentum (0.95).
        ns_steps: Newton-Schulz iterations (5).
        nesterov: use Nesterov momentum (True).
        rms_rate: scale of the Muon update, or None (0.2).
        **kwargs: the other base `Optimizer` arguments.

    Example:
        >>> optimizer = Muon(learning_rate=1e-3, exclude_layers=["output"])
    """

    # Its rule reads whole variables, so it never runs on a flat buffer (see _flat.py).
    _elementwise_update_step = False

    def __init__(
        self,
        learning_rate=0.001,
        adam_beta_1=0.9,
        adam_beta_2=0.999,
        adam_weight_decay=0.004,
        epsilon=1e-7,
        weight_decay=0.004,
        exclude_layers=None,
        exclude_embeddings=True,
        muon_a=3.4445,
        muon_b=-4.7750,
        muon_c=2.0315,
        adam_lr_ratio=1,
        momentum=0.95,
        ns_steps=5,
        nesterov=True,
        rms_rate=0.2,
        **kwargs,
    ):
        super().__init__(learning_rate=learning_rate, weight_decay=weight_decay, **kwargs)
        self.adam_beta_1 = adam_beta_1
        self.adam_beta_2 = adam_beta_2
        self.epsilon = epsilon
        self.muon_a = muon_a
        self.muon_b = muon_b
        self.muon_c = muon_c
        self.adam_lr_ratio = adam_lr_ratio
        self.momentum = momentum
        self.ns_steps = ns_steps
        self.nesterov = nesterov
        self.exclude_embeddings = exclude_embeddings
        self.exclude_layers = exclude_layers or []
        self.adam_weight_decay = adam_weight_decay
        self.rms_rate = rms_rate

    def _should_use_adamw(self, variable):
        if len(variable.shape) != 2:
            return True
        path = getattr(variable, "path", None) or variable.name
        if self.exclude_embeddings and "embedding" in path.lower():
            return True
        return any(re.search(keyword, path) for keyword in self.exclude_layers)

    def build(self, var_list):
        """Creates a `momentum` for every variable and a `velocity` for the Adam ones
        (interleaved per variable, as Keras orders them)."""
        if self.built:
            return
        super().build(var_list)
        self.momentums = []
        self.adam_velocities = []
        for variable in var_list:
            self.momentums.append(self.add_variable_from_reference(variable, name="momentum"))
            velocity = None
            if self._should_use_adamw(variable):
                velocity = self.add_variable_from_reference(variable, name="velocity")
            self.adam_velocities.append(velocity)

    def update_step(self, gradient, variable, learning_rate):
        index = self._get_variable_index(variable)
        m = self.momentums[index].data
        v = self.adam_velocities[index]
        float_type = variable.data.dtype.type
        if v is not None:
            lr = float_type(learning_rate) * float_type(self.adam_lr_ratio)
            self._adamw_update_step(gradient, variable, lr, m, v.data)
        else:
            self._muon_update_step(gradient, variable, float_type(learning_rate), m)

    def _muon_update_step(self, gradient, variable, lr, m):
        float_type = variable.data.dtype.type
        momentum = float_type(self.momentum)
        m += gradient + m * (momentum - float_type(1))
        direction = gradient + momentum * m if self.nesterov else m
        update = self.zeropower_via_newtonschulz5(direction, self.ns_steps)
        variable.data -= self.lr_adjust(lr * update)

    def _adamw_update_step(self, gradient, variable, lr, m, v):
        float_type = variable.data.dtype.type
        local_step = float_type(self._iteration_count() + 1)
        beta_1_power = float_type(self.adam_beta_1) ** local_step
        beta_2_power = float_type(self.adam_beta_2) ** local_step
        alpha = lr * np.sqrt(1 - beta_2_power) / (1 - beta_1_power)
        m += (gradient - m) * float_type(1 - self.adam_beta_1)
        v += (np.square(gradient) - v) * float_type(1 - self.adam_beta_2)
        variable.data -= (m * alpha) / (np.sqrt(v) + float_type(self.epsilon))

    def lr_adjust(self, x):
        """Scales a Muon update by `sqrt(max(rows, cols)) * rms_rate` (Moonlight's rule,
        so Muon can share Adam's learning rate and weight decay)."""
        if self.rms_rate is None:
            return x
        float_type = x.dtype.type
        return x * float_type(math.sqrt(max(x.shape[0], x.shape[1]))) * float_type(self.rms_rate)

    def zeropower_via_newtonschulz5(self, x, steps):
        """An approximately orthogonal matrix near `x` (`U V^T` of its SVD, roughly), by
        `steps` quintic Newton-Schulz iterations on `x` scaled to spectral norm <= 1."""
        if x.ndim < 2:
            raise ValueError(
                f"Expected gradient or momentum to have at least 2 dimensions. Received: "
                f"shape={x.shape}"
            )
        float_type = x.dtype.type
        a, b, c = float_type(self.muon_a), float_type(self.muon_b), float_type(self.muon_c)
        tall = x.shape[-2] > x.shape[-1]
        if tall:
            x = _swap_last_axes(x)
        norm = np.sqrt(np.sum(np.square(x), axis=(-2, -1), keepdims=True))
        x = x / (norm + float_type(1e-7))
        for _ in range(steps):
            gram = x @ _swap_last_axes(x)
            polynomial = b * gram + (c * gram) @ gram
            x = a * x + polynomial @ x
        return _swap_last_axes(x) if tall else x

    def _apply_weight_decay(self, variables, learning_rate):
        for variable in variables:
            if not self._use_weight_decay(variable):
                continue
            if self._should_use_adamw(variable):
                decay = self.adam_weight_decay
            else:
                decay = self.weight_decay
            if decay is None:
                continue
            float_type = variable.data.dtype.type
            variable.data -= variable.data * float_type(decay) * float_type(learning_rate)

    def get_config(self):
        config = super().get_config()
        config.update(
            {
                "adam_beta_1": self.adam_beta_1,
                "adam_beta_2": self.adam_beta_2,
                "epsilon": self.epsilon,
                "exclude_layers": self.exclude_layers,
                "muon_a": self.muon_a,
                "muon_b": self.muon_b,
                "muon_c": self.muon_c,
                "adam_lr_ratio": self.adam_lr_ratio,
                "momentum": self.momentum,
                "ns_steps": self.ns_steps,
                "nesterov": self.nesterov,
                "exclude_embeddings": self.exclude_embeddings,
                "adam_weight_decay": self.adam_weight_decay,
                "rms_rate": self.rms_rate,
            }
        )
        return config
