"""Callbacks Keras lacks: NaN stop before anything is saved, step logging."""
import math
import sys
import time

import tf_keras as keras


class NaNLossError(RuntimeError):
    """Training diverged; raised before the epoch ends so no checkpoint gets NaN weights."""


class NanGuard(keras.callbacks.Callback):
    """Abort ``fit`` at the first non-finite loss (TerminateOnNaN would still let the
    epoch-end checkpoints save the broken weights)."""

    def on_train_batch_end(self, batch, logs=None):
        loss = (logs or {}).get("loss")
        if loss is not None and not math.isfinite(loss):
            raise NaNLossError(f"loss became {loss} at step {batch + 1} of this epoch")


class StepLogger(keras.callbacks.Callback):
    """One line every ``every`` steps (for logs that are files, not terminals)."""

    def __init__(self, every=10, batch_size=None, stream=None):
        super().__init__()
        self.every = every
        self.batch_size = batch_size
        self.stream = stream or sys.stdout

    def on_epoch_begin(self, epoch, logs=None):
        self.epoch = epoch
        self.start = time.time()
        self.last = (0, self.start)

    def on_train_batch_end(self, batch, logs=None):
        step = batch + 1
        if step % self.every:
            return
        now = time.time()
        rate = (step - self.last[0]) / max(now - self.last[1], 1e-9)
        self.last = (step, now)
        lr = self.model.optimizer.learning_rate
        lr = float(lr(self.model.optimizer.iterations)) if callable(lr) else float(keras.backend.get_value(lr))
        speed = f" {rate * self.batch_size:.2f} img/s" if self.batch_size else f" {rate:.2f} step/s"
        print(
            f"epoch {self.epoch + 1} step {step}: loss {logs.get('loss', float('nan')):.4f} "
            f"lr {lr:.2e}{speed}",
            file=self.stream,
            flush=True,
        )

    def on_epoch_end(self, epoch, logs=None):
        shown = " ".join(f"{k} {v:.4f}" for k, v in sorted((logs or {}).items()) if "aux" not in k)
        print(f"epoch {epoch + 1} done in {time.time() - self.start:.0f}s: {shown}", file=self.stream, flush=True)
