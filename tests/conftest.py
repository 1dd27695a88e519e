"""Shared test helpers. Tests that need ../shared fail (never skip) when it is missing."""
import os
from pathlib import Path

import bisenetv2_tf  # noqa: F401  (sets TF_USE_LEGACY_KERAS before TensorFlow)
import numpy as np
import pytest

REPO = Path(__file__).resolve().parents[1]
SHARED = REPO.parent / "shared"
REFERENCE_DIR = SHARED / "reference"
CAMVID_DIR = SHARED / "data" / "camvid"

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")


def require(path):
    """Return ``path`` or fail the test loudly if it does not exist."""
    path = Path(path)
    if not path.exists():
        pytest.fail(f"required fixture missing: {path} (../shared must sit beside the repo)")
    return path


def load_npz(path):
    with np.load(require(path), allow_pickle=False) as data:
        return {k: data[k] for k in data.files}


@pytest.fixture(scope="session")
def synthetic_dir(tmp_path_factory):
    """A tiny synthetic CamVid-layout dataset (8 train, 4 val, 64x96)."""
    from bisenetv2_tf.data.synthetic import make_dataset

    return make_dataset(str(tmp_path_factory.mktemp("synthetic")), 8, 4, (64, 96), seed=0)


# The tiny training runs of tests/training/test_train_cli.py: 64x64 crops, batch 2, 3 steps
# an epoch, fixed seed, float32.
TINY_TRAIN_FLAGS = ("--batch-size", "2", "--crop", "64", "64", "--steps-per-epoch", "3", "--warmup-steps", "1",
                    "--log-every", "1", "--val-batch-size", "2", "--seed", "0", "--precision", "float32")


def tiny_train_argv(data, out, *extra):
    """``training.train`` flags of a tiny run of ``data`` into ``out`` (then ``extra``)."""
    return ["--data-dir", str(data), "--out-dir", str(out), *TINY_TRAIN_FLAGS, *extra]


def cli_in_process(main, argv):
    """``main(argv)`` of a CLI module in this process, as ``python -m MODULE`` runs it: a
    ``subprocess.CompletedProcess`` (returncode, stdout, stderr). A ``SystemExit`` message
    ends stderr as the interpreter prints it (status 1); argparse's usage errors are there
    as printed (status 2); any other exception propagates (what would be a traceback). Flag
    and input checks run here without a TensorFlow start-up per call; whether the module
    runs as a process is tests/bisenetv2_tf/test_console.py's business."""
    import contextlib
    import io
    import subprocess

    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        try:
            main([str(a) for a in argv])
            code = 0
        except SystemExit as stop:
            code = stop.code
    if isinstance(code, str):
        err.write(code + "\n")
        code = 1
    return subprocess.CompletedProcess(list(argv), code or 0, out.getvalue(), err.getvalue())


def run_cli(module, argv, process=False):
    """``python -m MODULE ARGV`` as a ``subprocess.CompletedProcess``: in this process
    (``cli_in_process``), or as a process of its own when ``process`` (for the checks that
    the exit status and stderr of a real process are what the in-process run shows)."""
    import importlib
    import subprocess
    import sys

    if process:
        return subprocess.run([sys.executable, "-m", module, *map(str, argv)], cwd=REPO, capture_output=True,
                              text=True, timeout=600)
    return cli_in_process(importlib.import_module(module).main, argv)


def train_in_process(argv):
    """``training.train.main(argv)`` in this process (``cli_in_process``): (exit status,
    stdout, stderr)."""
    from training import train

    done = cli_in_process(train.main, argv)
    return done.returncode, done.stdout, done.stderr


@pytest.fixture(scope="session")
def tiny_run(synthetic_dir, tmp_path_factory):
    """A finished tiny 3-epoch run of ``synthetic_dir`` (``tiny_train_argv(..., "--epochs", "3")``),
    trained once: (run folder, its stdout). Copy the folder (shutil.copytree) before
    changing anything in it."""
    out = tmp_path_factory.mktemp("tiny_run") / "run"
    code, stdout, stderr = train_in_process(tiny_train_argv(synthetic_dir, out, "--epochs", "3"))
    assert code == 0, stdout[-2000:] + stderr[-2000:]
    return out, stdout
