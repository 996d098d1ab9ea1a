"""Saving and loading the weights of a 10-million-parameter MLP (40 MB of float32):
minikeras's `.weights.h5` against raw h5py dataset writes and reads of the same arrays, in
the same process.

Run: python benchmarks/bench_saving.py
Prints seconds and MB/s of each, and `ratio = minikeras / raw h5py`.

minikeras's save is atomic and durable: it writes a temporary file, flushes it to disk
(fsync) and renames it over the target. The fsync can cost more than the write itself, so
raw h5py is timed both without it (plain `h5py.File(...)` writes, which may leave the data
in the page cache only) and with the same fsync; the second is the like-for-like ratio.
Its load checks every path and shape against the model before reading straight into the
variables.
"""

import os
import tempfile

import h5py

import minikeras as keras
from _timing import compare, fmt, machine
from minikeras.saving import saving_api

SIZES = (1024, 2048, 2048, 1024, 1024, 512, 10)


def build_model():
    layers = [keras.Input((SIZES[0],))]
    layers += [keras.layers.Dense(units) for units in SIZES[1:]]
    return keras.Sequential(layers)


def fsync(path):
    with open(path, "rb+") as handle:
        os.fsync(handle.fileno())


def main():
    model = build_model()
    arrays = [w.numpy() for w in model.weights]
    parameters = sum(a.size for a in arrays)
    megabytes = sum(a.nbytes for a in arrays) / 1e6
    directory = tempfile.mkdtemp()
    ours = os.path.join(directory, "model.weights.h5")
    raw = os.path.join(directory, "raw.h5")

    def save_minikeras():
        saving_api.save_weights(model, ours)

    def save_raw():
        with h5py.File(raw, "w") as f:
            for i, array in enumerate(arrays):
                f.create_dataset(str(i), data=array)

    def save_raw_fsync():
        save_raw()
        fsync(raw)

    def load_minikeras():
        saving_api.load_weights(model, ours)

    def load_raw():
        with h5py.File(raw, "r") as f:
            return [f[str(i)][()] for i in range(len(arrays))]

    print(f"{machine()}")
    print(f"MLP {'-'.join(map(str, SIZES))}: {parameters:,} parameters, {megabytes:.1f} MB")
    save_times = compare(save_minikeras, save_raw, save_raw_fsync, repeat=5, min_seconds=0.5)
    load_times = compare(load_minikeras, load_raw, repeat=5, min_seconds=0.5)
    rows = [
        ("save minikeras (atomic, fsync)", save_times[0]),
        ("save raw h5py", save_times[1]),
        ("save raw h5py + fsync", save_times[2]),
        ("load minikeras (checked)", load_times[0]),
        ("load raw h5py", load_times[1]),
    ]
    for label, seconds in rows:
        print(f"{label:32s} {fmt(seconds):>10s}  {megabytes / seconds:8.0f} MB/s")
    print(f"save ratio vs raw h5py + fsync  {save_times[0] / save_times[2]:.2f}")
    print(f"save ratio vs raw h5py          {save_times[0] / save_times[1]:.2f}")
    print(f"load ratio vs raw h5py          {load_times[0] / load_times[1]:.2f}")
    for path in (ours, raw):
        os.remove(path)
    os.rmdir(directory)
    return [
        ("save 10M-parameter weights (vs h5py + fsync)", save_times[0], save_times[2]),
        ("load 10M-parameter weights (vs h5py)", load_times[0], load_times[1]),
    ]


if __name__ == "__main__":
    main()
