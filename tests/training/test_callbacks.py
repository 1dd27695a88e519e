"""NanGuard stops at the first non-finite loss, before the epoch ends."""
import numpy as np
import pytest
import tf_keras as keras

from training.callbacks import NanGuard, NaNLossError


def test_nan_guard_stops_in_the_step_the_loss_breaks():
    model = keras.Sequential([keras.Input((2,)), keras.layers.Dense(1)])
    model.compile(keras.optimizers.SGD(1e30), "mse")
    ends = []

    class EpochEnds(keras.callbacks.Callback):
        def on_epoch_end(self, epoch, logs=None):
            ends.append(epoch)

    x = np.full((64, 2), 1e10, np.float32)
    with pytest.raises(NaNLossError, match=r"loss became (nan|inf) at step \d+ of this epoch"):
        model.fit(x, x[:, :1], batch_size=1, epochs=1, verbose=0, callbacks=[NanGuard(), EpochEnds()])
    assert ends == []  # no epoch-end callback (checkpoint) ran with the broken weights
