"""Callbacks Keras lacks: NaN stop before anything is saved, runaway-weight stop (QAT),
step logging."""
import math
import sys
import time

import numpy as np
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


class RunawayGuard(keras.callbacks.Callback):
    """Abort ``fit`` (``NaNLossError``, before anything is saved) when a weight or a BN
    statistic runs away while the loss may still look flat: a kernel, BN gamma or beta
    whose largest magnitude grows past ``growth`` times its value at the start (and past
    ``floor``), or a BN moving variance past ``growth**2`` times its start. A QAT
    fine-tune is a small step from a trained model; such growth means it diverged
    (issue 23 saw a depthwise kernel go 0.18 -> 17,055 and a moving variance to 2.9e9 in
    3 steps while the loss stayed ~1.03). Checked every ``every`` steps."""

    def __init__(self, growth=100.0, floor=10.0, every=1):
        super().__init__()
        self.growth, self.floor, self.every = growth, floor, every

    def on_train_begin(self, logs=None):
        self.watched = [(w, float(np.abs(w.numpy()).max())) for w in self.model.weights
                        if any(k in w.name for k in ("kernel", "gamma", "beta", "moving_variance")) and w.shape.rank]

    def on_train_batch_end(self, batch, logs=None):
        if (batch + 1) % self.every:
            return
        for w, before in self.watched:
            now = float(np.abs(w.numpy()).max())
            factor = self.growth ** 2 if "moving_variance" in w.name else self.growth
            if now > max(factor * before, self.floor):
                raise NaNLossError(
                    f"{w.name} ran away at step {batch + 1} of this epoch: its largest magnitude grew from "
                    f"{before:.3g} to {now:.3g} (limit {factor:g}x); lower --lr, or train the float model longer "
                    f"before quantization-aware fine-tuning")


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
