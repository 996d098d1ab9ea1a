"""keras.utils helpers."""

import numpy as np
import pytest

import minikeras as keras


def test_to_categorical():
    out = keras.utils.to_categorical(np.array([[0], [2], [1]]), num_classes=4)
    assert out.dtype == np.float32 and out.shape == (3, 4)
    np.testing.assert_array_equal(out.argmax(axis=1), [0, 2, 1])
    assert keras.utils.to_categorical([1, 0]).shape == (2, 2)
    with pytest.raises(ValueError, match=r"\[0, 2\)"):
        keras.utils.to_categorical([0, 5], num_classes=2)


def test_normalize():
    out = keras.utils.normalize([[3.0, 4.0], [0.0, 0.0]])
    np.testing.assert_allclose(out, [[0.6, 0.8], [0.0, 0.0]])


def test_interrupt_guard_defers_ctrl_c_to_the_end_of_a_critical_section():
    import signal

    from minikeras.utils.interrupts import InterruptGuard

    steps = []
    with InterruptGuard() as guard:
        with pytest.raises(KeyboardInterrupt):
            with guard.critical():
                signal.raise_signal(signal.SIGINT)
                steps.append("finished")  # reached: the interrupt waits for the end
        assert steps == ["finished"]
        with pytest.raises(KeyboardInterrupt):  # outside a critical section: at once
            signal.raise_signal(signal.SIGINT)
            steps.append("not reached")
        # An error inside the section propagates; the pending interrupt comes at the next end.
        with pytest.raises(ValueError):
            with guard.critical():
                signal.raise_signal(signal.SIGINT)
                raise ValueError("inside")
        with pytest.raises(KeyboardInterrupt):
            with guard.critical():
                steps.append("next section")
    assert steps == ["finished", "next section"]
    assert signal.getsignal(signal.SIGINT) is signal.default_int_handler
