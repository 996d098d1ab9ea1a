"""`callbacks.TensorBoard`: event files laid out as Keras writes them, read back."""

import struct
import sys

import numpy as np
import pytest

import minikeras as keras


def read_events(folder):
    """The `Event` protobufs in the event files of `folder`, in order.

    Event files are TFRecords: a little-endian uint64 length, its 4-byte checksum, the
    serialized `Event`, its 4-byte checksum.
    """
    event_pb2 = pytest.importorskip("tensorboardX.proto.event_pb2")
    events = []
    for path in sorted(folder.iterdir()):
        data, offset = path.read_bytes(), 0
        while offset < len(data):
            (length,) = struct.unpack_from("<Q", data, offset)
            events.append(event_pb2.Event.FromString(data[offset + 12 : offset + 12 + length]))
            offset += 12 + length + 4
    return events


def read_scalars(folder):
    """[(tag, step, value)] of the scalar summaries written to `folder`."""
    return [
        (value.tag, event.step, value.simple_value)
        for event in read_events(folder)
        for value in event.summary.value
        if value.HasField("simple_value")
    ]


def fit_with(callback, epochs=2, **kwargs):
    keras.utils.clear_session()
    keras.utils.set_random_seed(0)
    model = keras.Sequential([keras.Input((3,)), keras.layers.Dense(1)])
    model.compile(keras.optimizers.SGD(0.05), "mse", metrics=["mae"])
    x = np.random.rand(32, 3).astype("float32")
    y = x.sum(axis=1)
    return model.fit(x, y, epochs=epochs, batch_size=8, verbose=0, callbacks=[callback], **kwargs)


def test_tensorboard_writes_epoch_scalars_to_train_and_validation(tmp_path):
    pytest.importorskip("tensorboardX")
    history = fit_with(keras.callbacks.TensorBoard(tmp_path), validation_split=0.25)
    train = read_scalars(tmp_path / "train")
    by_tag = {}
    for tag, step, value in train:
        by_tag.setdefault(tag, []).append((step, value))
    assert sorted(by_tag) == ["epoch_learning_rate", "epoch_loss", "epoch_mae"]
    assert [step for step, _ in by_tag["epoch_loss"]] == [0, 1]
    np.testing.assert_allclose(
        [v for _, v in by_tag["epoch_loss"]], history.history["loss"], rtol=1e-6
    )
    np.testing.assert_allclose(
        [v for _, v in by_tag["epoch_learning_rate"]], [0.05, 0.05], rtol=1e-6
    )
    validation = read_scalars(tmp_path / "validation")
    epoch_val = [(step, value) for tag, step, value in validation if tag == "epoch_loss"]
    assert [step for step, _ in epoch_val] == [0, 1]
    np.testing.assert_allclose([v for _, v in epoch_val], history.history["val_loss"], rtol=1e-6)
    after_iterations = [
        step for tag, step, _ in validation if tag == "evaluation_loss_vs_iterations"
    ]
    assert after_iterations == [3, 6]  # 24 training samples in batches of 8, per epoch


def test_tensorboard_update_freq_writes_batch_scalars_every_n_batches(tmp_path):
    pytest.importorskip("tensorboardX")
    fit_with(keras.callbacks.TensorBoard(tmp_path, update_freq=3), epochs=2)
    steps = [step for tag, step, _ in read_scalars(tmp_path / "train") if tag == "batch_loss"]
    assert steps == [3, 6]  # 4 batches per epoch, counted over the whole fit
    fit_with(keras.callbacks.TensorBoard(tmp_path / "b", update_freq="batch"), epochs=1)
    steps = [step for tag, step, _ in read_scalars(tmp_path / "b" / "train") if tag == "batch_loss"]
    assert steps == [1, 2, 3, 4]


def test_tensorboard_histograms_of_the_weights(tmp_path):
    pytest.importorskip("tensorboardX")
    fit_with(keras.callbacks.TensorBoard(tmp_path, histogram_freq=1), epochs=1)
    tags = {
        value.tag
        for event in read_events(tmp_path / "train")
        for value in event.summary.value
        if value.HasField("histo")
    }
    # Tagged by weight path, as Keras: the Sequential built the Dense in its name scope.
    assert tags == {"sequential/dense/kernel/histogram", "sequential/dense/bias/histogram"}


def test_tensorboard_without_tensorboardx_says_how_to_install_it(monkeypatch):
    monkeypatch.setitem(sys.modules, "tensorboardX", None)
    with pytest.raises(ImportError, match=r"pip install minikeras\[tensorboard\]"):
        keras.callbacks.TensorBoard("logs")


def test_tensorboard_rejects_what_it_cannot_do_by_name():
    with pytest.raises(ValueError, match=r"update_freq.*'epoch', 'batch'.*'often'"):
        keras.callbacks.TensorBoard(update_freq="often")
    with pytest.raises(ValueError, match="update_freq"):
        keras.callbacks.TensorBoard(update_freq=0)
    with pytest.raises(ValueError, match="profile_batch"):
        keras.callbacks.TensorBoard(profile_batch=2)
    with pytest.raises(ValueError, match="write_images"):
        keras.callbacks.TensorBoard(write_images=True)
    with pytest.raises(ValueError, match="histogram_freq"):
        keras.callbacks.TensorBoard(histogram_freq=-1)
