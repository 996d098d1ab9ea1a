"""One epoch of Keras 3 `fit` on the fit benchmark's workload; prints the seconds.

Run by `bench_fit.py` under an interpreter that has Keras 3 and a backend (JAX by default):
    KERAS_BACKEND=jax python benchmarks/_keras_fit.py 784-64-64-10 64 60000
The step is compiled by a short warm-up fit first, so the time excludes compilation.
"""

import sys
import time

import numpy as np

from _workloads import initial_weights, make_data


def main(sizes, batch_size, samples):
    import keras

    x, y = make_data(samples, np.random.default_rng(0))
    inputs = keras.Input(shape=(sizes[0],))
    h = inputs
    for units in sizes[1:-1]:
        h = keras.layers.Dense(units, activation="relu")(h)
    outputs = keras.layers.Dense(sizes[-1], activation="softmax")(h)
    model = keras.Model(inputs, outputs)
    model.set_weights(initial_weights(sizes))
    model.compile(optimizer=keras.optimizers.RMSprop(1e-3), loss="sparse_categorical_crossentropy")
    # Warm-up on as many rows as leave the same last partial batch: both step shapes compile.
    warm = 2 * batch_size + samples % batch_size
    model.fit(x[:warm], y[:warm], batch_size=batch_size, verbose=0)
    start = time.perf_counter()
    model.fit(x, y, batch_size=batch_size, epochs=1, verbose=0)
    return time.perf_counter() - start


if __name__ == "__main__":
    layer_sizes = tuple(int(n) for n in sys.argv[1].split("-"))
    print(main(layer_sizes, int(sys.argv[2]), int(sys.argv[3])))
