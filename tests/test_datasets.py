"""Dataset loaders, on small files the tests write (no network)."""

import gzip
import io
import pickle
import tarfile

import numpy as np
import pytest

from minikeras.datasets import cifar10, fashion_mnist, mnist


@pytest.fixture
def home(tmp_path, monkeypatch):
    monkeypatch.setenv("MINIKERAS_HOME", str(tmp_path / "mk"))
    monkeypatch.setenv("HOME", str(tmp_path / "user"))
    (tmp_path / "mk" / "datasets").mkdir(parents=True)
    return tmp_path / "mk" / "datasets"


def test_mnist_load_data_from_minikeras_home(home):
    rng = np.random.default_rng(0)
    arrays = {
        "x_train": rng.integers(0, 256, (6, 28, 28), dtype=np.uint8),
        "y_train": rng.integers(0, 10, 6).astype(np.uint8),
        "x_test": rng.integers(0, 256, (2, 28, 28), dtype=np.uint8),
        "y_test": rng.integers(0, 10, 2).astype(np.uint8),
    }
    np.savez(home / "mnist.npz", **arrays)
    (x_train, y_train), (x_test, y_test) = mnist.load_data()
    np.testing.assert_array_equal(x_train, arrays["x_train"])
    np.testing.assert_array_equal(y_train, arrays["y_train"])
    np.testing.assert_array_equal(y_test, arrays["y_test"])
    assert x_train.dtype == np.uint8 and x_test.shape == (2, 28, 28)


def test_mnist_falls_back_to_keras_cache(home, tmp_path):
    keras_dir = tmp_path / "user" / ".keras" / "datasets"
    keras_dir.mkdir(parents=True)
    z = np.zeros((1, 28, 28), np.uint8)
    np.savez(keras_dir / "mnist.npz", x_train=z, y_train=z[:, 0, 0], x_test=z, y_test=z[:, 0, 0])
    (x_train, _), _ = mnist.load_data()
    assert x_train.shape == (1, 28, 28)


def test_missing_file_without_network_says_where_to_put_it(home, monkeypatch):
    import urllib.request

    def offline(*args, **kwargs):
        raise OSError("network is unreachable")

    monkeypatch.setattr(urllib.request, "urlopen", offline)
    with pytest.raises(OSError, match=r"copy it to .*mk/datasets/mnist.npz"):
        mnist.load_data()


def test_load_sample_reads_csv_and_splits(tmp_path):
    rng = np.random.default_rng(1)
    pixels = rng.integers(0, 256, (30, 784))
    labels = np.repeat(np.arange(10), 3)
    table = np.column_stack([pixels, labels])
    path = tmp_path / "sample.csv.gz"
    with gzip.open(path, "wt") as f:
        np.savetxt(f, table, fmt="%d", delimiter=",")
    (x_train, y_train), (x_test, y_test) = mnist.load_sample(test_size=10, path=path)
    assert x_train.shape == (20, 28, 28) and x_test.shape == (10, 28, 28)
    assert x_train.dtype == np.uint8 and y_train.dtype == np.uint8
    assert sorted(np.concatenate([y_train, y_test]).tolist()) == sorted(labels.tolist())
    # the split is a fixed permutation: the same call gives the same arrays
    (again, _), _ = mnist.load_sample(test_size=10, path=path)
    np.testing.assert_array_equal(again, x_train)
    # each image keeps its own label
    index = int(np.where((pixels.reshape(-1, 28, 28) == x_test[0]).all(axis=(1, 2)))[0][0])
    assert labels[index] == y_test[0]


def _idx(array, magic):
    header = magic.to_bytes(4, "big") + b"".join(d.to_bytes(4, "big") for d in array.shape)
    return gzip.compress(header + array.astype(np.uint8).tobytes())


def test_fashion_mnist_reads_idx_files(home):
    folder = home / "fashion-mnist"
    folder.mkdir()
    images = np.arange(3 * 28 * 28).reshape(3, 28, 28) % 256
    labels = np.array([1, 2, 3])
    (folder / "train-images-idx3-ubyte.gz").write_bytes(_idx(images, 2051))
    (folder / "train-labels-idx1-ubyte.gz").write_bytes(_idx(labels, 2049))
    (folder / "t10k-images-idx3-ubyte.gz").write_bytes(_idx(images[:1], 2051))
    (folder / "t10k-labels-idx1-ubyte.gz").write_bytes(_idx(labels[:1], 2049))
    (x_train, y_train), (x_test, y_test) = fashion_mnist.load_data()
    np.testing.assert_array_equal(x_train, images)
    np.testing.assert_array_equal(y_train, labels)
    assert x_test.shape == (1, 28, 28) and y_test.tolist() == [1]


def test_cifar10_reads_the_archive_format(home):
    rng = np.random.default_rng(2)
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz") as archive:
        for name in [f"data_batch_{i}" for i in range(1, 6)] + ["test_batch"]:
            batch = {
                b"data": rng.integers(0, 256, (2, 3072), dtype=np.uint8),
                b"labels": [1, 7],
            }
            payload = pickle.dumps(batch, protocol=2)
            info = tarfile.TarInfo(f"cifar-10-batches-py/{name}")
            info.size = len(payload)
            archive.addfile(info, io.BytesIO(payload))
    (home / "cifar-10-python.tar.gz").write_bytes(buffer.getvalue())
    (x_train, y_train), (x_test, y_test) = cifar10.load_data()
    assert x_train.shape == (10, 32, 32, 3) and y_train.shape == (10, 1)
    assert x_test.shape == (2, 32, 32, 3) and y_test[:, 0].tolist() == [1, 7]


def test_cifar10_refuses_unexpected_pickled_objects(home):
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz") as archive:
        payload = pickle.dumps({b"data": print, b"labels": []})
        for name in [f"data_batch_{i}" for i in range(1, 6)] + ["test_batch"]:
            info = tarfile.TarInfo(f"cifar-10-batches-py/{name}")
            info.size = len(payload)
            archive.addfile(info, io.BytesIO(payload))
    (home / "cifar-10-python.tar.gz").write_bytes(buffer.getvalue())
    with pytest.raises(pickle.UnpicklingError, match="refusing"):
        cifar10.load_data()


def test_failed_download_leaves_no_partial_file(home, monkeypatch):
    import urllib.request

    class Broken:
        def __enter__(self):
            return self

        def __exit__(self, *exc):
            return False

        def read(self, *args):
            raise OSError("connection reset")

    monkeypatch.setattr(urllib.request, "urlopen", lambda *a, **k: Broken())
    with pytest.raises(OSError, match="could not download"):
        mnist.load_data()
    assert list(home.iterdir()) == []
    assert not mnist.is_available()
