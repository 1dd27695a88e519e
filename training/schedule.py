"""Poly learning-rate schedule with linear warmup (CoinCheung's WarmupPolyLrScheduler)."""
import tensorflow as tf
import tf_keras as keras


@keras.saving.register_keras_serializable(package="bisenetv2_tf")
class WarmupPoly(keras.optimizers.schedules.LearningRateSchedule):
    """lr = base * (1 - t/T)^power after ``warmup_steps`` of linear ramp from
    ``base * warmup_ratio`` (t counted from the end of warmup, T = total - warmup)."""

    def __init__(self, base_lr, total_steps, power=0.9, warmup_steps=1000, warmup_ratio=0.1, min_lr=0.0):
        self.base_lr = base_lr
        self.total_steps = total_steps
        self.power = power
        self.warmup_steps = min(warmup_steps, max(total_steps - 1, 0))
        self.warmup_ratio = warmup_ratio
        self.min_lr = min_lr

    def __call__(self, step):
        step = tf.cast(step, tf.float32)
        warm = float(self.warmup_steps)
        ramp = self.warmup_ratio + (1 - self.warmup_ratio) * step / max(warm, 1.0)
        progress = tf.clip_by_value((step - warm) / max(self.total_steps - warm, 1.0), 0.0, 1.0)
        poly = tf.pow(1.0 - progress, self.power)
        factor = tf.where(step < warm, ramp, poly)
        return tf.maximum(self.base_lr * factor, self.min_lr)

    def get_config(self):
        return {
            "base_lr": self.base_lr, "total_steps": self.total_steps, "power": self.power,
            "warmup_steps": self.warmup_steps, "warmup_ratio": self.warmup_ratio, "min_lr": self.min_lr,
        }
