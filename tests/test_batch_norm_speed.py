"""Batch normalisation on wide channels-last rows gives the numbers of the narrow layout."""

import numpy as np
import pytest

from minikeras.layers.normalization import fused
from minikeras.layers.normalization.fused import NormalizeAndTrack


def _train_step(x, gamma, beta, gy):
    moving_mean, moving_variance = (
        np.zeros(x.shape[-1], np.float32),
        np.ones(x.shape[-1], np.float32),
    )
    function = NormalizeAndTrack((0, 1, 2), 1e-3, (1, 1, 1, x.shape[-1]), True, True, 0.99)
    function.needs_grad = (True, True, True, False, False)
    y = function.forward(x, gamma, beta, moving_mean, moving_variance)
    return (y, *function.backward(gy)[:3], moving_mean, moving_variance)


@pytest.mark.parametrize("shape", [(16, 8, 8, 32), (3, 7, 5, 6), (2, 13, 1, 5)])
def test_batch_norm_wide_rows_match_one_row_per_pixel(monkeypatch, shape):
    rng = np.random.default_rng(11)
    x = (rng.standard_normal(shape) * 2 + 1).astype(np.float32)
    gy = rng.standard_normal(shape).astype(np.float32)
    gamma = rng.uniform(0.5, 2, shape[-1]).astype(np.float32)
    beta = rng.standard_normal(shape[-1]).astype(np.float32)
    wide = _train_step(x, gamma, beta, gy)
    monkeypatch.setattr(fused, "_ROW_WIDTH", 1)
    assert NormalizeAndTrack((0, 1, 2), 1e-3, (1, 1, 1, shape[-1]), True, True, 0.9)._rows(x)[
        0
    ].shape == (x.size // shape[-1], shape[-1])
    narrow = _train_step(x, gamma, beta, gy)
    for a, b in zip(wide, narrow):
        assert a.dtype == np.float32 and a.shape == b.shape
        np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-4)


def test_batch_norm_rows_are_wide_for_few_channels():
    x = np.zeros((128, 4, 4, 32), np.float32)
    function = NormalizeAndTrack((0, 1, 2), 1e-3, (1, 1, 1, 32), True, True, 0.9)
    (rows,) = function._rows(x)
    assert rows.shape[1] % 32 == 0 and rows.shape[1] >= 512
    np.testing.assert_array_equal(rows.reshape(x.shape), x)
