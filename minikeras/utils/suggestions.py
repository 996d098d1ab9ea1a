"""The "did you mean ...?" hint of unknown-name errors (losses, metrics, optimizers)."""

import difflib


def did_you_mean(name, valid_names):
    """`" Did you mean 'x'?"` for the valid name closest to `name`, or "" if none is close.

    Args:
        name: the unknown name the user typed.
        valid_names: the names that would have been accepted.

    Example:
        >>> did_you_mean("mean_squared_eror", ["mean_squared_error", "mae"])
        " Did you mean 'mean_squared_error'?"
    """
    valid_names = list(valid_names)
    close = difflib.get_close_matches(name, valid_names, n=1)
    if not close:  # "Adamm" is closest to "adam" once case is ignored
        by_lower = {valid.lower(): valid for valid in reversed(valid_names)}
        close = [by_lower[m] for m in difflib.get_close_matches(name.lower(), list(by_lower), n=1)]
    return f" Did you mean {close[0]!r}?" if close else ""
