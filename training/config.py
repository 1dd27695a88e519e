"""The typed configuration of a training run: ``TrainConfig``, built and checked once.

Each field is one ``training.train`` flag. Its metadata says how the flag is spelt on the
command line when that is not the field name with dashes (``flag``), whether it defines
the run (``run``: resuming with another value is refused), and, for run-defining flags
added after runs were first committed, what a run state written before the flag existed
meant by it (``old``). Imports no TensorFlow: ``--help`` and the checks run without it.
"""
import dataclasses
import math
from dataclasses import dataclass, field
from typing import Optional, Tuple

# --color-jitter's default: the brightness, contrast and saturation range of
# pipeline.AugmentConfig (tests/training/test_config.py keeps the two equal).
COLOR_JITTER = 0.4
_NO_OLD = object()

# --class-weights: the power of the median-frequency weights.
CLASS_WEIGHT_POWERS = {"median-frequency": 1.0, "sqrt-median-frequency": 0.5}


def _flag(default, *, run=False, flag=None, old=_NO_OLD):
    return field(default=default, metadata={"run": run, "flag": flag, "old": old})


@dataclass(frozen=True)
class TrainConfig:
    # data
    dataset: str = _flag("camvid", run=True)
    data_dir: str = _flag("")
    train_split: str = _flag("train", run=True)
    val_split: str = _flag("val")
    protocol: Optional[str] = _flag(None, run=True, old=None)
    class_file: Optional[str] = _flag(None, run=True)
    crop: Tuple[int, int] = _flag((256, 320), run=True)
    scale_range: Tuple[float, float] = _flag((0.75, 2.0), run=True)
    color_jitter: float = _flag(COLOR_JITTER, run=True, old=COLOR_JITTER)
    cache: bool = _flag(False)
    skip_bad: bool = _flag(False)
    no_data_check: bool = _flag(False)
    # model
    model: str = _flag("bisenetv2", run=True, flag="arch")
    init_weights: Optional[str] = _flag(None, run=True)
    qat: bool = _flag(False, run=True)
    qat_calibration: int = _flag(32, run=True, flag="num-calibration")
    # optimization
    batch_size: int = _flag(8, run=True)
    epochs: int = _flag(100, run=True)
    steps_per_epoch: Optional[int] = _flag(None, run=True)
    lr: Optional[float] = _flag(None, run=True)
    warmup_steps: int = _flag(1000, run=True)
    weight_decay: float = _flag(5e-4, run=True)
    momentum: float = _flag(0.9, run=True)
    ohem_thresh: float = _flag(0.7, run=True)
    aux_weight: float = _flag(1.0, run=True)
    ema: float = _flag(0.0, run=True, old=0.0)
    aux_resolution: str = _flag("full", run=True, old="full")
    class_weights: str = _flag("none", run=True, old="none")
    precision: str = _flag("auto")
    seed: Optional[int] = _flag(None, run=True)
    # run
    out_dir: str = _flag("")
    val_every: int = _flag(1)
    val_batch_size: int = _flag(1)
    strategy: str = _flag("default")
    log_every: int = _flag(10)
    export: str = _flag("best")
    extend: bool = _flag(False)
    restart: bool = _flag(False)
    commit_state_every: float = _flag(0.0)
    verbose: bool = _flag(False)

    def __post_init__(self):
        object.__setattr__(self, "crop", tuple(self.crop))
        object.__setattr__(self, "scale_range", tuple(self.scale_range))
        problems = self.problems()
        if problems:
            raise ValueError(problems[0])

    @classmethod
    def from_namespace(cls, args):
        """The config of parsed flags (an ``argparse.Namespace``); ``ValueError`` (one line
        naming the flag) for the first value out of range."""
        return cls(**{f.name: getattr(args, f.name) for f in dataclasses.fields(cls)})

    def problems(self):
        """Every out-of-range value or bad combination, one line each naming the flag."""
        found = []

        def need(ok, name, what):
            if not ok:
                found.append(f"{spelling(name)} must be {what}, got {_shown(getattr(self, name))}")

        need(len(self.crop) == 2 and all(s > 0 and s % 32 == 0 for s in self.crop), "crop",
             "positive multiples of 32")
        lo, hi = self.scale_range
        need(0 < lo <= hi and math.isfinite(hi), "scale_range", "0 < MIN <= MAX")
        for name in ("batch_size", "epochs", "val_every", "val_batch_size", "log_every", "qat_calibration"):
            need(getattr(self, name) >= 1, name, ">= 1")
        need(self.steps_per_epoch is None or self.steps_per_epoch >= 1, "steps_per_epoch", ">= 1")
        need(self.lr is None or (self.lr > 0 and math.isfinite(self.lr)), "lr", "a finite number > 0")
        need(self.warmup_steps >= 0, "warmup_steps", ">= 0")
        need(0 <= self.weight_decay < 1, "weight_decay", "in [0, 1)")
        need(0 <= self.momentum < 1, "momentum", "in [0, 1)")
        need(0 < self.ohem_thresh <= 1, "ohem_thresh", "in (0, 1]")
        need(0 <= self.aux_weight and math.isfinite(self.aux_weight), "aux_weight", "a finite number >= 0")
        need(0 <= self.color_jitter < 1, "color_jitter", "in [0, 1)")
        need(0 <= self.ema < 1, "ema", "in [0, 1)")
        need(0 <= self.commit_state_every and math.isfinite(self.commit_state_every), "commit_state_every",
             "a finite number >= 0")
        if self.qat and not self.init_weights:
            found.append("--qat fine-tunes a trained model: pass --init-weights MODEL.keras")
        if self.extend and self.restart:
            found.append("--extend and --restart exclude each other")
        if self.protocol and (self.train_split, self.val_split) != ("train", "val"):
            found.append(f"--protocol {self.protocol} sets the training and validation frames: drop "
                         f"--train-split and --val-split")
        return found

    def run_flags(self, steps_per_epoch, seed):
        """The run-defining values as stored in a run state's ``flags`` (JSON types), with
        the steps per epoch and seed the run actually uses."""
        flags = {name: getattr(self, name) for name in RUN_FLAGS}
        flags.update(steps_per_epoch=steps_per_epoch, seed=seed, crop=list(self.crop),
                     scale_range=list(self.scale_range))
        return flags

    def to_json(self):
        """Every field, JSON types (what train_args.json records)."""
        return {name: (list(value) if isinstance(value, tuple) else value)
                for name, value in dataclasses.asdict(self).items()}


def spelling(name):
    """``--flag`` of a field, as the command line spells it."""
    flag = TrainConfig.__dataclass_fields__[name].metadata["flag"]
    return "--" + (flag or name.replace("_", "-"))


def defaults():
    """{field: default} of every field (the parser's defaults)."""
    return {f.name: f.default for f in dataclasses.fields(TrainConfig)}


def default(name):
    """A field's default (what the parser shows and uses)."""
    return TrainConfig.__dataclass_fields__[name].default


def _shown(value):
    return " ".join(map(str, value)) if isinstance(value, tuple) else value


# Flags that define a run: resuming with another value of any of them is refused.
RUN_FLAGS = tuple(f.name for f in dataclasses.fields(TrainConfig) if f.metadata["run"])

# What a run state written before a flag existed meant by it.
OLD_RUN_DEFAULTS = {f.name: f.metadata["old"] for f in dataclasses.fields(TrainConfig)
                    if f.metadata["old"] is not _NO_OLD}


def differing_flags(flags, old_flags, extending=False):
    """The run-defining names whose value in ``flags`` differs from a run state's
    ``old_flags`` (read with OLD_RUN_DEFAULTS for flags the state predates); ``epochs``
    may differ when extending."""
    old = OLD_RUN_DEFAULTS | old_flags
    return [k for k in RUN_FLAGS if flags[k] != old.get(k) and not (k == "epochs" and extending)]
