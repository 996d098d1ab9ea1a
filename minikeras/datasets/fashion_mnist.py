"""Fashion-MNIST: 70,000 28x28 grayscale images of 10 kinds of clothing."""

import gzip

import numpy as np

from minikeras.datasets._files import get_file

_BASE = "https://storage.googleapis.com/tensorflow/tf-keras-datasets/"
_FILES = (
    "train-labels-idx1-ubyte.gz",
    "train-images-idx3-ubyte.gz",
    "t10k-labels-idx1-ubyte.gz",
    "t10k-images-idx3-ubyte.gz",
)


def _read(path, offset):
    with gzip.open(path, "rb") as f:
        return np.frombuffer(f.read(), np.uint8, offset=offset)


def load_data():
    """Loads Fashion-MNIST from the four gzip files Keras uses (found locally or downloaded).

    Returns:
        `(x_train, y_train), (x_test, y_test)` uint8 arrays, images of shape (n, 28, 28).
    """
    paths = [get_file(f"fashion-mnist/{name}", origin=_BASE + name) for name in _FILES]
    y_train = _read(paths[0], 8)
    x_train = _read(paths[1], 16).reshape(len(y_train), 28, 28)
    y_test = _read(paths[2], 8)
    x_test = _read(paths[3], 16).reshape(len(y_test), 28, 28)
    return (x_train, y_train), (x_test, y_test)
