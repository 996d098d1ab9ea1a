"""One epoch of Keras 3 `fit` on a convnet benchmark's workload; prints the seconds.

Run by `bench_convnet_fit.py` under an interpreter that has Keras 3 and a backend (JAX by
default):
    KERAS_BACKEND=jax python benchmarks/_keras_convnet_fit.py vgg 128 2048
The step is compiled by a short warm-up fit first, so the time excludes compilation.
"""

import sys
import time

import numpy as np

from _workloads import convnet_layers, make_images


def main(name, batch_size, samples):
    import keras

    x, y = make_images(samples, np.random.default_rng(0))
    built = [keras.Input((32, 32, 3))]
    for kind, *args in convnet_layers(name):
        if kind == "conv":
            filters, kernel, stride = args
            built.append(keras.layers.Conv2D(filters, kernel, stride, "same", activation="relu"))
        elif kind == "maxpool":
            built.append(keras.layers.MaxPooling2D(2))
        elif kind == "gap":
            built.append(keras.layers.GlobalAveragePooling2D())
        elif kind == "flatten":
            built.append(keras.layers.Flatten())
        else:
            built.append(keras.layers.Dense(args[0]))
    model = keras.Sequential(built)
    model.compile(
        optimizer=keras.optimizers.Adam(1e-3),
        loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True),
    )
    # Warm-up on as many rows as leave the same last partial batch: both step shapes compile.
    warm = 2 * batch_size + samples % batch_size
    model.fit(x[:warm], y[:warm], batch_size=batch_size, verbose=0)
    start = time.perf_counter()
    model.fit(x, y, batch_size=batch_size, epochs=1, verbose=0)
    return time.perf_counter() - start


if __name__ == "__main__":
    print(main(sys.argv[1], int(sys.argv[2]), int(sys.argv[3])))
