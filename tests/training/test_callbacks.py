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


def test_runaway_guard_stops_when_a_kernel_or_moving_variance_explodes():
    import numpy as np
    import pytest
    import tf_keras as keras

    from training.callbacks import NaNLossError, RunawayGuard

    x = keras.Input((8, 8, 3))
    y = keras.layers.BatchNormalization(name="bn")(keras.layers.Conv2D(4, 3, name="conv")(x))
    model = keras.Model(x, y)
    guard = RunawayGuard()
    guard.set_model(model)
    guard.on_train_begin()
    conv = model.get_layer("conv")
    conv.kernel.assign(conv.kernel * 50)  # large, but within 100x
    guard.on_train_batch_end(0)
    conv.kernel.assign(conv.kernel * 40)
    with pytest.raises(NaNLossError, match="conv/kernel.* ran away at step 2"):
        guard.on_train_batch_end(1)
    conv.kernel.assign(conv.kernel / 2000)
    bn = model.get_layer("bn")
    bn.moving_variance.assign(np.full(4, 2e4, np.float32))  # 1.0 -> 2e4: more than 100^2
    with pytest.raises(NaNLossError, match="moving_variance"):
        guard.on_train_batch_end(2)
