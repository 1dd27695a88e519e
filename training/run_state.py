"""The resumable state of a training run: one small set of files, safe to kill at any moment.

``OUT_DIR/state/`` holds

* ``state.json``: epochs and optimizer steps done, the seed, the flags that define the
  run, the best validation score, accumulated hours, and whether the run is complete;
* ``<slot>/ckpt.*``: one ``tf.train.Checkpoint`` of the model weights and the optimizer
  (momentum slots and the step counter, hence the LR schedule position).

A checkpoint is written to the slot not in use, then ``state.json`` is replaced
atomically to point at it, then the old slot is removed: a kill at any moment leaves a
loadable state. The augmentation stream is a pure function of (seed, step) (see
``pipeline.train_dataset``), so the step counter and the seed are all a resume needs
to see the data a run that never stopped would have seen. At rest the directory holds
one slot: it is what ``--commit-state-every`` commits to git.
"""
import contextlib
import dataclasses
import fcntl
import json
import logging
import os
import shutil
import signal
import subprocess
import time
import warnings
from dataclasses import dataclass
from typing import Optional

import numpy as np
import tf_keras as keras
import tensorflow as tf

from bisenetv2_tf.fileio import atomic_path, atomic_write

FORMAT = 1
SLOTS = ("a", "b")


class NonFiniteError(RuntimeError):
    """Training diverged: raised before anything is saved, so no file gets NaN weights."""


def state_dir(out_dir):
    return os.path.join(out_dir, "state")


class RunBusyError(RuntimeError):
    """Another live process trains into the same folder."""


def lock(out_dir):
    """Hold ``OUT_DIR/.lock`` for this process (an OS file lock, released by the kernel when
    the process ends however it ends, so a stale lock never blocks). Returns the open file
    (keep it); ``RunBusyError`` naming the holder's PID when another process holds it."""
    os.makedirs(out_dir, exist_ok=True)
    path = os.path.join(out_dir, ".lock")
    handle = open(path, "a+")
    try:
        fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        handle.seek(0)
        holder = handle.read().strip() or "unknown"
        handle.close()
        raise RunBusyError(f"{out_dir} is in use by another training process ({holder}); wait for it to end or "
                           f"stop it, or train into another --out-dir") from None
    handle.seek(0)
    handle.truncate()
    handle.write(f"pid {os.getpid()} on {os.uname().nodename}, since {time.strftime('%Y-%m-%d %H:%M:%S')}\n")
    handle.flush()
    return handle


@dataclass(frozen=True)
class Best:
    """The best validation score of a run so far, and the epoch that reached it."""
    monitor: str
    value: float
    epoch: int


@dataclass(frozen=True)
class RunState:
    """What ``state.json`` holds. ``flags`` are the run-defining flags
    (``TrainConfig.run_flags``); ``checkpoint`` is the slot holding the weights (None
    before the first save)."""
    epoch: int
    step: int
    epochs: int
    flags: dict
    complete: bool = False
    hours: float = 0.0
    best: Optional[Best] = None
    checkpoint: Optional[str] = None

    def to_json(self):
        data = dataclasses.asdict(self)
        data["format"] = FORMAT
        return data

    @classmethod
    def from_json(cls, data, path="state.json", how="pass --restart"):
        """The state a ``state.json`` object describes; ``ValueError`` (one line naming
        ``path``, what is damaged, and ``how`` to go on) for a damaged one."""
        if not isinstance(data, dict):
            raise ValueError(f"{path}: damaged run state (not a JSON object); {how}")
        if data.get("format") != FORMAT:
            raise ValueError(f"{path}: run state format {data.get('format')} is not {FORMAT}; pass --restart")
        damaged = [f"{key} ({what}) is missing" if key not in data else
                   f"{key} ({what}) is {type(data[key]).__name__} {data[key]!r}"
                   for key, (types, what) in REQUIRED.items()
                   if key not in data or not isinstance(data[key], types)
                   or (bool in types) != isinstance(data[key], bool)]
        best = data.get("best")
        if best is not None and not (isinstance(best, dict) and isinstance(best.get("value"), (int, float))
                                     and isinstance(best.get("epoch"), int)):
            damaged.append(f"best (the best validation score) is {best!r}")
        if not damaged and data["flags"].get("seed") is None:
            damaged.append("flags.seed (the run's seed) is missing")
        if damaged:
            raise ValueError(f"{path}: damaged run state: {'; '.join(damaged)}; {how}")
        return cls(epoch=data["epoch"], step=data["step"], epochs=data["epochs"], flags=data["flags"],
                   complete=data["complete"], hours=float(data["hours"]), checkpoint=data["checkpoint"],
                   best=Best(best.get("monitor", ""), float(best["value"]), best["epoch"]) if best else None)


# key -> (accepted types, what it holds): what a state.json must have to be resumed
REQUIRED = {
    "epoch": ((int,), "epochs done"), "step": ((int,), "optimizer steps done"),
    "epochs": ((int,), "epochs of the run"), "flags": ((dict,), "the run's flags"),
    "complete": ((bool,), "whether the run finished"), "hours": ((int, float), "hours trained"),
    "checkpoint": ((str,), "the checkpoint slot"),
}


def read(out_dir):
    """The ``RunState`` of ``out_dir``, or None when it has none. ``ValueError`` (one line
    saying what is damaged and how to go on) for an unreadable or damaged state."""
    path = os.path.join(state_dir(out_dir), "state.json")
    if not os.path.isfile(path):
        return None
    how = ("pass --restart to start the run over (its weights are lost), or restore the folder from git "
           "(git checkout -- " + state_dir(out_dir) + ") if it was committed")
    try:
        with open(path) as f:
            data = json.load(f)
    except (OSError, ValueError) as err:
        raise ValueError(f"{path}: unreadable run state ({err}); {how}") from None
    return RunState.from_json(data, path, how)


def restore(state, out_dir, model):
    """Load the weights and optimizer of ``state`` into a compiled ``model``."""
    prefix = os.path.join(state_dir(out_dir), state.checkpoint, "ckpt")
    if not os.path.isfile(prefix + ".index"):
        raise ValueError(f"{prefix}.index: missing checkpoint of the run state; pass --restart to start over, or "
                         f"restore the folder from git (git checkout -- {state_dir(out_dir)}) if it was committed")
    model.optimizer.build(model.trainable_variables)
    try:
        tf.train.Checkpoint(model=model, optimizer=model.optimizer).read(prefix).assert_existing_objects_matched()
    except (AssertionError, ValueError, tf.errors.OpError) as err:
        raise ValueError(f"{prefix}: the run state's checkpoint does not load into this model "
                         f"({str(err).splitlines()[0][:200]}); pass --restart to start over") from None


def save(state, out_dir, model):
    """Write ``model`` + optimizer to the free slot, point ``state.json`` at it, drop the
    old slot. Returns ``state`` with its new slot."""
    root = state_dir(out_dir)
    os.makedirs(root, exist_ok=True)
    old = state.checkpoint
    slot = SLOTS[1] if old == SLOTS[0] else SLOTS[0]
    shutil.rmtree(os.path.join(root, slot), ignore_errors=True)
    model.optimizer.build(model.trainable_variables)  # slots exist even before the first step
    tf.train.Checkpoint(model=model, optimizer=model.optimizer).write(os.path.join(root, slot, "ckpt"))
    state = dataclasses.replace(state, checkpoint=slot)
    atomic_write(os.path.join(root, "state.json"), json.dumps(state.to_json(), indent=1, sort_keys=True) + "\n")
    if old and old != slot:
        shutil.rmtree(os.path.join(root, old), ignore_errors=True)
    return state


def check_finite(model, logs=None):
    """Raise NonFiniteError if any weight or any logged loss is NaN/inf."""
    for key, value in sorted((logs or {}).items()):
        if "loss" in key and not np.isfinite(value):
            raise NonFiniteError(f"{key} became {value}")
    bad = sum(int(np.size(w) - np.count_nonzero(np.isfinite(w))) for w in model.get_weights())
    if bad:
        raise NonFiniteError(f"{bad} weights became NaN or inf")


def save_model(model, path, include_optimizer=True):
    """``model.save(path)`` that leaves either the complete file or the old one.

    ``include_optimizer=False`` for exported inference models: their optimizer slots
    would double the file (the run's state keeps them for resuming)."""
    options = {}
    if not include_optimizer and path.endswith(".h5"):
        options["include_optimizer"] = False
    elif not include_optimizer and model.optimizer is not None:  # the .keras format has no such switch
        bare = keras.models.clone_model(model)
        bare.set_weights(model.get_weights())
        model = bare
    with atomic_path(path) as tmp, warnings.catch_warnings(), _tf_log_filter(_UNBUILT_METRICS):
        # QAT models are HDF5 on purpose (see training.trainer.checkpoint_ext): not a user error.
        warnings.filterwarnings("ignore", message="You are saving your model as an HDF5 file")
        model.save(tmp, **options)


# tf_keras logs this on every HDF5 save of a compiled QAT model (its metrics do not build
# outside fit); the saved file is complete, so it is not the user's concern.
_UNBUILT_METRICS = "Compiled the loaded model, but the compiled metrics have yet to be built"


@contextlib.contextmanager
def _tf_log_filter(message):
    """Inside: records of the ``tensorflow`` logger starting with ``message`` are dropped."""
    logger = logging.getLogger("tensorflow")

    def drop(record):  # a logger filter may be any callable (Python >= 3.2)
        return not str(record.getMessage()).startswith(message)

    logger.addFilter(drop)
    try:
        yield
    finally:
        logger.removeFilter(drop)


def git_commit(paths, message, stream=None):
    """Commit ``paths`` (force-added: they may sit under an ignored folder) and only them.

    Returns True on success; a failure (no git, no repo, a lock held by another commit)
    is reported on ``stream`` and returns False: training goes on and tries again later.
    """
    top = os.path.dirname(os.path.abspath(paths[0]))
    try:
        root = subprocess.run(["git", "-C", top, "rev-parse", "--show-toplevel"], capture_output=True,
                              text=True, check=True).stdout.strip()
        rel = [os.path.relpath(os.path.abspath(p), root) for p in paths]
        for attempt in range(5):
            add = subprocess.run(["git", "-C", root, "add", "-A", "-f", "--", *rel], capture_output=True, text=True)
            done = add.returncode == 0 and subprocess.run(
                ["git", "-C", root, "commit", "-q", "-m", message, "--", *rel], capture_output=True, text=True)
            if done and done.returncode == 0:
                return True
            time.sleep(2 + 3 * attempt)  # another process may hold .git/index.lock
        detail = (add.stderr if add.returncode else done.stdout + done.stderr).strip().splitlines()
        print(f"warning: could not commit the run state: {detail[-1] if detail else 'git failed'}",
              file=stream, flush=True)
    except (OSError, subprocess.CalledProcessError) as err:
        print(f"warning: could not commit the run state: {err}", file=stream, flush=True)
    return False


class RunStateCallback(keras.callbacks.Callback):
    """At every epoch end: refuse non-finite weights/losses, keep the best model, save the
    run state and the last model; commit the state every ``commit_every_h`` hours and
    when SIGTERM arrives (then stop after this epoch, state saved).

    ``state`` is the ``RunState`` to continue (``self.state`` is the latest one saved); ``paths`` maps
    "last" and "best" to model files (``best`` None without validation); ``commit_paths``
    are the files a commit covers besides the state.
    """

    def __init__(self, state, out_dir, monitor, paths, commit_every_h=0.0, commit_paths=(), stream=None):
        super().__init__()
        self.state = state
        self.out_dir = out_dir
        self.monitor = monitor
        self.paths = paths
        self.commit_every_h = commit_every_h
        self.commit_paths = list(commit_paths)
        self.stream = stream
        self.terminated = False
        self.last_commit = time.time()
        self._t0 = None

    def on_train_begin(self, logs=None):
        if self.commit_every_h:
            signal.signal(signal.SIGTERM, self._on_sigterm)
        self._t0 = time.time()

    def _on_sigterm(self, signum, frame):
        self.terminated = True
        print("SIGTERM: finishing this epoch, then saving and committing the run state", file=self.stream,
              flush=True)

    def on_epoch_end(self, epoch, logs=None):
        logs = logs or {}
        check_finite(self.model, logs)
        now = time.time()
        state = dataclasses.replace(self.state, hours=self.state.hours + (now - self._t0) / 3600, epoch=epoch + 1,
                                    step=int(self.model.optimizer.iterations.numpy()))
        self._t0 = now
        score = logs.get(self.monitor)
        if self.paths.get("best") and score is not None and (state.best is None or score > state.best.value):
            save_model(self.model, self.paths["best"])
            state = dataclasses.replace(state, best=Best(self.monitor, float(score), epoch + 1))
        save_model(self.model, self.paths["last"])
        state = dataclasses.replace(state, complete=state.epoch >= state.epochs)
        self.state = save(state, self.out_dir, self.model)
        due = self.commit_every_h and now - self.last_commit >= self.commit_every_h * 3600
        if self.terminated or due or (self.commit_every_h and self.state.complete):
            self.commit()
        if self.terminated:
            self.model.stop_training = True

    def commit(self):
        state, best = self.state, self.state.best
        shown = f", best {best.monitor} {best.value:.4f} at epoch {best.epoch}" if best else ""
        message = (f"Training state of {os.path.basename(os.path.normpath(self.out_dir))}: epoch "
                   f"{state.epoch}/{state.epochs}, step {state.step}, "
                   f"{state.hours:.2f} h{shown}\n\nResume with the same command (see train_args.json).")
        if git_commit([state_dir(self.out_dir), *self.commit_paths], message, self.stream):
            self.last_commit = time.time()
            print(f"committed the run state (epoch {self.state.epoch}, step {self.state.step})",
                  file=self.stream, flush=True)
