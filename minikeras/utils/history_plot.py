"""`plot_history`: the loss and metric curves of a `fit`, one subplot per metric.

`history_curves` turns a `History` (or its `.history` dict) into the points to draw, with
no plotting library; `plot_history` draws them with matplotlib, an optional extra
(`pip install minikeras[plot]`) imported only when a plot is asked for.
"""


def _series(history):
    """`({name: values}, {name: epoch numbers (1-based)} or None)` from a History or dict."""
    values = getattr(history, "history", history)
    if not isinstance(values, dict):
        raise TypeError(
            "plot_history: `history` must be the History returned by fit() or its "
            f"`.history` dict, got {type(history).__name__}."
        )
    epochs_of = getattr(history, "epochs_of", None)
    if epochs_of is not None:
        epochs_of = {name: [epoch + 1 for epoch in epochs] for name, epochs in epochs_of.items()}
    return values, epochs_of


def history_curves(history, metrics=None):
    """The curves `plot_history` draws: for each metric, its train and validation points.

    Args:
        history: the `History` returned by `fit` (or its `.history` dict).
        metrics: a name or list of names (`"loss"`, `"accuracy"`...); None means every
            logged name that is not a `val_` one.

    Returns:
        A dict `{metric: {"train": (epochs, values), "val": (epochs, values) or None}}` in
        the order of `metrics`; epochs are numbered from 1, as the progress bar does.

    Raises:
        ValueError: for a name that was not logged (the message lists those that were),
            or a dict whose validation values do not line up with its epochs.
    """
    values, epochs_of = _series(history)
    names = [name for name in values if not name.startswith("val_")]
    if metrics is None:
        metrics = names
    elif isinstance(metrics, str):
        metrics = [metrics]
    else:
        metrics = list(metrics)
    for name in metrics:
        if name not in names:
            raise ValueError(f"plot_history: no metric {name!r} in this history; it has {names}.")
    if not metrics:
        raise ValueError("plot_history: the history is empty (did fit run any epoch?).")

    def points(name):
        series = [float(value) for value in values[name]]
        if epochs_of is not None and name in epochs_of:
            return epochs_of[name], series
        return list(range(1, len(series) + 1)), series

    curves = {}
    for name in metrics:
        train = points(name)
        val = None
        if f"val_{name}" in values:
            val = points(f"val_{name}")
            if epochs_of is None and len(val[1]) != len(train[1]):
                raise ValueError(
                    f"plot_history: {len(train[1])} values of {name!r} but "
                    f"{len(val[1])} of 'val_{name}' (validation_freq > 1?); pass the History "
                    "object, which knows the epochs of each, instead of its dict."
                )
        curves[name] = {"train": train, "val": val}
    return curves


def _import_matplotlib():
    try:
        import matplotlib
    except ImportError:
        raise ImportError(
            "plot_history needs matplotlib, an optional extra of minikeras: "
            "`pip install minikeras[plot]` (or `pip install matplotlib`)."
        ) from None
    return matplotlib


def plot_history(history, metrics=None, to_file=None):
    """Draws the loss and metric curves of a `fit`: one subplot per metric, train and `val_`.

    Args:
        history: the `History` returned by `fit` (or its `.history` dict).
        metrics: a name or list of names to draw; every logged metric by default.
        to_file: save the figure there (any format matplotlib writes: `.png`, `.svg`,
            `.pdf`); without it the figure is made with pyplot, so a notebook shows it.

    Returns:
        The matplotlib `Figure`.

    Raises:
        ImportError: when matplotlib is not installed (`pip install minikeras[plot]`).

    Example:
        >>> history = model.fit(x, y, validation_split=0.2, epochs=10, verbose=0)
        >>> keras.utils.plot_history(history, to_file="curves.png")
    """
    curves = history_curves(history, metrics)
    _import_matplotlib()
    from matplotlib.ticker import MaxNLocator

    if to_file is not None:
        # A figure outside pyplot's registry: saved, then freed like any object.
        from matplotlib.figure import Figure

        figure = Figure(figsize=(5, 3.2 * len(curves)), layout="constrained")
        axes = figure.subplots(len(curves), 1, squeeze=False)[:, 0]
    else:
        from matplotlib import pyplot

        figure, axes = pyplot.subplots(
            len(curves), 1, figsize=(5, 3.2 * len(curves)), squeeze=False, layout="constrained"
        )
        axes = axes[:, 0]
    for axis, (name, curve) in zip(axes, curves.items()):
        axis.plot(*curve["train"], marker="o", markersize=3, label=name)
        if curve["val"] is not None:
            axis.plot(*curve["val"], marker="o", markersize=3, label=f"val_{name}")
        axis.set_title(name)
        axis.set_xlabel("epoch")
        axis.xaxis.set_major_locator(MaxNLocator(integer=True))  # no epoch 1.25
        axis.grid(alpha=0.3)
        axis.legend()
    if to_file is not None:
        figure.savefig(to_file)
    return figure
