"""BestCheckpoint: considers validated epochs only."""
import numpy as np
import tf_keras as keras

from training.callbacks import BestCheckpoint


class FakeValidation(keras.callbacks.Callback):
    """Puts a scripted val_miou into the logs of validated epochs (before checkpoints run)."""

    def __init__(self, scores):
        super().__init__()
        self.scores = scores

    def on_epoch_end(self, epoch, logs=None):
        if epoch in self.scores:
            logs["val_miou"] = self.scores[epoch]


def test_best_checkpoint_skips_unvalidated_epochs(tmp_path):
    model = keras.Sequential([keras.Input((2,)), keras.layers.Dense(1)])
    model.compile("sgd", "mse")
    saved = []

    class Recorder(BestCheckpoint):
        def _save_model(self, epoch, batch, logs):
            saved.append(epoch)
            super()._save_model(epoch, batch, logs)

    path = tmp_path / "best.keras"
    x, y = np.ones((4, 2), np.float32), np.ones((4, 1), np.float32)
    model.fit(x, y, epochs=6, verbose=0,
              callbacks=[FakeValidation({1: 0.3, 3: 0.2, 5: 0.4}), Recorder(str(path), "val_miou")])
    assert saved == [1, 3, 5]  # reached on validated epochs only (ModelCheckpoint warns on the others)
    assert path.exists()
