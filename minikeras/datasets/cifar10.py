"""CIFAR-10: 60,000 32x32 colour images in 10 classes (Keras's archive format)."""

import pickle
import tarfile

import numpy as np

from minikeras import config
from minikeras.datasets._files import get_file, search_dirs

_ORIGIN = "https://www.cs.toronto.edu/~kriz/cifar-10-python.tar.gz"
_SHA256 = "6d958be074577803d12ecdefd02955f39262c83c16fe9348329d7fe0b5c001ce"


def _load_batch(open_member, member):
    # The official archive stores each batch pickled; only plain dicts of arrays and bytes
    # are accepted here (_RestrictedUnpickler refuses every other class).
    with open_member(member) as f:
        data = _RestrictedUnpickler(f, encoding="bytes").load()
    images = np.asarray(data[b"data"], dtype=np.uint8).reshape(-1, 3, 32, 32)
    labels = np.asarray(data[b"labels"], dtype=np.uint8)
    return images, labels


class _RestrictedUnpickler(pickle.Unpickler):
    def find_class(self, module, name):
        if module in ("numpy.core.multiarray", "numpy._core.multiarray") and (
            name == "_reconstruct"
        ):
            from numpy._core.multiarray import _reconstruct

            return _reconstruct
        if module == "numpy" and name in ("ndarray", "dtype"):
            return getattr(np, name)
        if module == "_codecs" and name == "encode":  # how pickle stores raw bytes
            import codecs

            return codecs.encode
        raise pickle.UnpicklingError(f"refusing to load {module}.{name} from a dataset file")


def load_data():
    """Loads CIFAR-10 from `cifar-10-python.tar.gz` (found locally or downloaded).

    Returns:
        `(x_train, y_train), (x_test, y_test)`: uint8 images of shape (n, 32, 32, 3) with
        channels last (or (n, 3, 32, 32) when `image_data_format()` is channels_first) and
        labels of shape (n, 1), as Keras returns them.
    """
    names = [f"cifar-10-batches-py/data_batch_{i}" for i in range(1, 6)]
    names.append("cifar-10-batches-py/test_batch")
    extracted = [d / "cifar-10-batches-py-target" for d in search_dirs()]
    folder = next((d for d in extracted if (d / names[-1]).exists()), None)
    if folder is not None:  # Keras's cache keeps the archive extracted
        batches = [_load_batch(lambda m: open(folder / m, "rb"), name) for name in names]
    else:
        path = get_file("cifar-10-python.tar.gz", origin=_ORIGIN, file_hash=_SHA256)
        with tarfile.open(path, "r:gz") as archive:
            batches = [_load_batch(archive.extractfile, name) for name in names]
    train, (x_test, y_test) = batches[:5], batches[5]
    x_train = np.concatenate([images for images, _ in train])
    y_train = np.concatenate([labels for _, labels in train])
    if config.image_data_format() == "channels_last":
        x_train = x_train.transpose(0, 2, 3, 1)
        x_test = x_test.transpose(0, 2, 3, 1)
    return (x_train, y_train.reshape(-1, 1)), (x_test, y_test.reshape(-1, 1))
