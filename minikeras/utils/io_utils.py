"""Where minikeras's messages go: standard output, or Python's `logging` when interactive
logging is off (`keras.config.disable_interactive_logging()`).

Keras sends them to `absl.logging` then; minikeras, which does not depend on absl, sends
them to the standard `logging` module's `"minikeras"` logger at INFO level. The progress
bar, the callbacks' messages, `model.summary()` and the dataset utilities all print
through here.
"""

import sys

_interactive_logging = [True]


def log_info(message):
    """Logs `message` at INFO level on the `"minikeras"` logger."""
    import logging  # here: `import minikeras` stays fast without it

    logging.getLogger("minikeras").info(message)


def enable_interactive_logging():
    """Sends minikeras's messages and progress bars to standard output (the default)."""
    _interactive_logging[0] = True


def disable_interactive_logging():
    """Sends minikeras's messages to the `"minikeras"` logger (INFO) instead of standard
    output, for jobs that run without a terminal; progress bars are not redrawn."""
    _interactive_logging[0] = False


def is_interactive_logging_enabled():
    """Whether messages go to standard output (True) or to `logging` (False)."""
    return _interactive_logging[0]


def print_msg(message, line_break=True):
    """Prints `message` to standard output, or logs it when interactive logging is off."""
    message = str(message)
    if _interactive_logging[0]:
        sys.stdout.write(message + "\n" if line_break else message)
        sys.stdout.flush()
    else:
        log_info(message)
