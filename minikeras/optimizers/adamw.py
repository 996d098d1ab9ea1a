"""AdamW: Adam with decoupled weight decay."""

from minikeras.optimizers.adam import Adam

__all__ = ["AdamW"]


class AdamW(Adam):
    """Adam with decoupled weight decay (Loshchilov & Hutter, 2019).

    Each step first shrinks the weights, `w -= w * weight_decay * learning_rate`, then
    takes an Adam step. (The decay itself is the base `Optimizer`'s `weight_decay`, which
    every optimizer accepts; AdamW only makes it required, 0.004 by default.) Use
    `exclude_from_weight_decay(var_names=["bias"])` to spare some variables.

    Args:
        learning_rate: a float or a schedule (default 0.001).
        weight_decay: the decay rate (0.004).
        beta_1, beta_2, epsilon, amsgrad: as in `Adam`.
        **kwargs: the other base `Optimizer` arguments.

    Example:
        >>> optimizer = AdamW(learning_rate=1e-3, weight_decay=0.01)
    """

    def __init__(
        self,
        learning_rate=0.001,
        weight_decay=0.004,
        beta_1=0.9,
        beta_2=0.999,
        epsilon=1e-7,
        amsgrad=False,
        **kwargs,
    ):
        super().__init__(
            learning_rate=learning_rate,
            beta_1=beta_1,
            beta_2=beta_2,
            epsilon=epsilon,
            amsgrad=amsgrad,
            weight_decay=weight_decay,
            **kwargs,
        )
        if self.weight_decay is None:
            raise ValueError("Argument `weight_decay` must be a float. Received: weight_decay=None")
