"""The fit CLI end to end on tiny synthetic data: train, kill -9 + resume, re-run of a
finished run, SIGTERM + commit + resume on a fresh clone, NaN stops, flag checks,
evaluate/predict CLIs, and two local MultiWorkerMirroredStrategy workers.

What needs a process of its own (kill -9, SIGTERM, Ctrl-C, a lock held by another
process, the resume on a fresh clone, multi-worker) runs ``python -m training.train``;
every other run and check calls the same CLI in this process (``train_in_process``: the
same flags, exit status and one-line errors, no TensorFlow start-up per call). Tests that
only poke at a finished run share one (the ``tiny_run`` and ``drive_run`` fixtures, each
trained once) and copy its folder before changing anything in it."""
import csv
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pytest
import tf_keras as keras

from conftest import REPO, tiny_train_argv, train_in_process

pytestmark = pytest.mark.slow
ENV = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "2", "PYTHONUNBUFFERED": "1"}


def _train_cmd(data, out, *extra):
    """The tiny run as a process of its own."""
    return [sys.executable, "-m", "training.train", *tiny_train_argv(data, out, *extra)]


def _epochs_logged(out):
    with open(out / "log.csv") as f:
        return [int(row["epoch"]) for row in csv.DictReader(f)]


def _last_line(text):
    return text.strip().splitlines()[-1]


def _lr_by_step(text):
    return {tuple(line.split(":")[0].split()[1::2]): line.split(" lr ")[1].split()[0]
            for line in text.splitlines() if line.startswith("epoch ") and " step " in line}


def test_train_kill9_resume_evaluate_predict(synthetic_dir, tiny_run, tmp_path):
    out = tmp_path / "run"
    argv = tiny_train_argv(synthetic_dir, out, "--epochs", "3")
    proc = subprocess.Popen(_train_cmd(synthetic_dir, out, "--epochs", "3"), cwd=REPO, env=ENV,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    seen = []
    for line in proc.stdout:  # kill -9 in the middle of the second epoch
        seen.append(line)
        if line.startswith("epoch 2 step 2"):
            proc.send_signal(signal.SIGKILL)
            break
    proc.wait(timeout=60)
    assert proc.returncode == -signal.SIGKILL, "".join(seen[-20:])
    assert _epochs_logged(out) == [0]

    code, stdout, stderr = train_in_process(argv)  # the same command resumes
    assert code == 0, stdout[-2000:] + stderr[-2000:]
    steps = [l for l in stdout.splitlines() if l.startswith("epoch ") and " step " in l]
    assert steps[0].startswith("epoch 2 step 1"), steps[:2]  # epoch 1 is not redone
    # the LR schedule goes on at the saved step: the LRs of an uninterrupted run
    assert _lr_by_step(stdout) == {k: v for k, v in _lr_by_step(tiny_run[1]).items() if k[0] != "1"}
    assert _epochs_logged(out) == [0, 1, 2]
    for name in ("checkpoints/last.keras", "checkpoints/best.keras", "model.keras", "train_args.json"):
        assert (out / name).is_file(), name
    targs = json.loads((out / "train_args.json").read_text())  # what the run computed in, and why
    assert (targs["compute_precision"], targs["compute_precision_reason"]) == ("float32", "float32 (as requested)")
    model = keras.models.load_model(out / "model.keras", compile=False)
    assert len(model.outputs) == 1 and model.outputs[0].shape[-1] == 7

    # re-running the finished run leaves it alone; other run flags are refused by name
    before = {n: (out / n).stat().st_mtime_ns for n in ("model.keras", "checkpoints/best.keras", "log.csv")}
    code, stdout, stderr = train_in_process(argv)
    assert code == 0 and "is complete (3 epochs, 9 steps" in stdout, stderr[-2000:]
    assert {n: (out / n).stat().st_mtime_ns for n in before} == before
    code, _, stderr = train_in_process(tiny_train_argv(synthetic_dir, out, "--epochs", "3", "--lr", "0.5"))
    assert code == 1 and "Traceback" not in stderr
    assert "other flags: --lr (run: None, now: 0.5)" in _last_line(stderr)
    assert {n: (out / n).stat().st_mtime_ns for n in before} == before

    from training import evaluate, predict

    report = tmp_path / "val.json"
    evaluate.main(["--model", str(out / "model.keras"), "--data-dir", str(synthetic_dir), "--split", "val",
                   "--json", str(report), "--flip"])
    result = json.loads(report.read_text())
    assert 0.0 <= result["miou"] <= 1.0 and 0.0 <= result["pixel_accuracy"] <= 1.0
    assert set(result["per_class_iou"]) == {"sky", "building", "road", "pavement", "tree", "car", "pole"}
    assert result["num_images"] == 4 and np.asarray(result["confusion_matrix"]).shape == (7, 7)

    image = os.path.join(synthetic_dir, "val", "val_0000.png")
    predict.main(["--model", str(out / "model.keras"), "--out-dir", str(tmp_path / "pred"), image])
    from PIL import Image

    assert Image.open(tmp_path / "pred" / "val_0000_mask.png").size == (96, 64)
    assert Image.open(tmp_path / "pred" / "val_0000_overlay.png").size == (96, 64)


def test_nan_loss_stops_with_clear_message(synthetic_dir, tmp_path):
    out = tmp_path / "nan"
    code, stdout, stderr = train_in_process(
        tiny_train_argv(synthetic_dir, out, "--epochs", "2", "--lr", "1e30", "--val-split", ""))
    assert code == 1, stdout[-2000:]
    last = _last_line(stderr)
    assert last.startswith("error: loss became nan") and "Traceback" not in stderr
    assert not (out / "model.keras").exists()


def test_non_finite_weights_stop_before_anything_is_saved(synthetic_dir, tmp_path):
    # at LR 1e6 the loss can stay finite while weights overflow: the weight check must catch it
    out = tmp_path / "huge"
    code, stdout, stderr = train_in_process(
        tiny_train_argv(synthetic_dir, out, "--epochs", "2", "--lr", "1e6", "--warmup-steps", "0"))
    assert code == 1, stdout[-2000:]
    last = _last_line(stderr)
    assert last.startswith("error: ") and "became" in last and "Traceback" not in stderr, last
    assert not (out / "model.keras").exists() and not (out / "state").exists()


def test_sigterm_commits_state_and_a_fresh_clone_resumes_it(synthetic_dir, tiny_run, tmp_path):
    straight_dir, straight_stdout = tiny_run  # the same run, never interrupted
    env = {**ENV, "GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@t", "GIT_COMMITTER_NAME": "t",
           "GIT_COMMITTER_EMAIL": "t@t"}
    project = tmp_path / "project"
    subprocess.run(["git", "init", "-q", str(project)], check=True)
    (project / ".gitignore").write_text("/runs/\n")
    cmd = _train_cmd(synthetic_dir, project / "runs" / "r", "--epochs", "3", "--commit-state-every", "5")
    proc = subprocess.Popen(cmd, cwd=REPO, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    seen = []
    for line in proc.stdout:
        seen.append(line)
        if line.startswith("epoch 1 step 1"):
            proc.send_signal(signal.SIGTERM)
    proc.wait(timeout=120)
    text = "".join(seen)
    assert proc.returncode == 0, text[-3000:]
    assert "stopped after epoch 1 of 3 (SIGTERM)" in text and "committed the run state (epoch 1, step 3)" in text

    clone = tmp_path / "clone"
    subprocess.run(["git", "clone", "-q", str(project), str(clone)], check=True)
    assert (clone / "runs" / "r" / "state" / "state.json").is_file()
    resumed = subprocess.run(_train_cmd(synthetic_dir, clone / "runs" / "r", "--epochs", "3"), cwd=REPO, env=env,
                             capture_output=True, text=True, timeout=600)
    assert resumed.returncode == 0, resumed.stderr[-2000:]
    assert "resuming after epoch 1 (step 3)" in resumed.stdout
    lrs = _lr_by_step(resumed.stdout)
    assert sorted(lrs) == [(e, s) for e in ("2", "3") for s in ("1", "2", "3")]
    assert lrs == {k: v for k, v in _lr_by_step(straight_stdout).items() if k[0] != "1"}
    final = [json.loads((d / "state" / "state.json").read_text()) for d in (straight_dir, clone / "runs" / "r")]
    assert [s["step"] for s in final] == [9, 9] and all(s["complete"] for s in final)


def test_numeric_flags_are_checked_up_front(synthetic_dir, tmp_path):
    for extra, flag in ((["--steps-per-epoch", "-1"], "--steps-per-epoch"), (["--crop", "0", "0"], "--crop"),
                        (["--lr", "nan"], "--lr"), (["--scale-range", "2", "1"], "--scale-range"),
                        (["--momentum", "1.5"], "--momentum"), (["--commit-state-every", "-1"], "--commit-state-every")):
        code, _, stderr = train_in_process(tiny_train_argv(synthetic_dir, tmp_path / "o", "--epochs", "1", *extra))
        assert code == 2 and flag + " must be" in stderr, (extra, stderr[-500:])
    assert not (tmp_path / "o").exists()


def _drive_named_copy(synthetic_dir, root):
    """The synthetic dataset with CamVid drive prefixes: train frames 0-1 from 0006R0."""
    synthetic_dir = Path(synthetic_dir)
    for split in ("train", "val"):
        for sub in (split, split + "annot"):
            (root / sub).mkdir(parents=True)
        for i, name in enumerate(sorted(os.listdir(synthetic_dir / split))):
            drive = "0006R0" if split == "train" and i < 2 else "0016E5"
            for sub in (split, split + "annot"):
                shutil.copy(synthetic_dir / sub / name, root / sub / f"{drive}_{name}")
    shutil.copy(synthetic_dir / "classes.json", root / "classes.json")
    return root


DRIVE_FLAGS = ("--epochs", "1", "--protocol", "drive-holdout", "--aux-resolution", "own", "--color-jitter", "0.2",
               "--ema", "0.1")


@pytest.fixture(scope="module")
def drive_run(synthetic_dir, tmp_path_factory):
    """One finished 1-epoch run with a non-default value of each of these run flags, trained
    once for the tests that read it: ``DRIVE_FLAGS`` (--protocol drive-holdout on the
    drive-named copy of the synthetic data, --aux-resolution own, --color-jitter, --ema)
    and --class-weights median-frequency. ``argv(out)``: its flags but --class-weights."""
    root = tmp_path_factory.mktemp("drive_run")
    data = _drive_named_copy(synthetic_dir, root / "drives")
    out = root / "holdout"

    def argv(out):
        return tiny_train_argv(data, out, *DRIVE_FLAGS)

    code, stdout, stderr = train_in_process(argv(out) + ["--class-weights", "median-frequency"])
    assert code == 0, stdout[-2000:] + stderr[-2000:]
    return SimpleNamespace(data=data, out=out, argv=argv, stdout=stdout)


def test_class_weights_are_a_run_flag_and_old_states_mean_none(drive_run, tmp_path):
    assert "class weights (median-frequency): " in drive_run.stdout
    out = tmp_path / "cw"
    shutil.copytree(drive_run.out, out)
    state_json = out / "state" / "state.json"
    assert json.loads(state_json.read_text())["flags"]["class_weights"] == "median-frequency"
    code, _, stderr = train_in_process(drive_run.argv(out))  # the run's flags but --class-weights
    assert code == 1 and "--class-weights (run: median-frequency, now: none)" in stderr

    # a state written before the flag existed resumes as an unweighted run
    state = json.loads(state_json.read_text())
    del state["flags"]["class_weights"]
    state_json.write_text(json.dumps(state))
    code, stdout, stderr = train_in_process(drive_run.argv(out))
    assert code == 0 and "Nothing to do" in stdout, stderr[-1000:]


def test_an_ema_decay_that_keeps_the_initial_weights_is_refused_before_training(tmp_path, synthetic_dir):
    """3 steps at --ema 0.9 would export an average holding 73% of the random initial weights."""
    out = tmp_path / "ema"
    code, stdout, stderr = train_in_process(tiny_train_argv(synthetic_dir, out, "--epochs", "1", "--ema", "0.9"))
    assert code == 1, stdout[-1000:]
    assert _last_line(stderr) == ("error: --ema 0.9: after this run's 3 steps the exported average would still "
                                  "hold 73% of the initial weights (the moving average starts from them); use a "
                                  "decay of at most 0.2154, or train longer")
    assert "training bisenetv2" not in stdout and not (out / "state").exists() and not (out / "model.keras").exists()


def test_bad_data_exits_with_one_line(tmp_path, synthetic_dir):
    code, _, stderr = train_in_process(tiny_train_argv(tmp_path / "missing", tmp_path / "o", "--epochs", "1"))
    assert code == 1
    assert _last_line(stderr).startswith("error: folder not found")
    code, _, stderr = train_in_process(tiny_train_argv(synthetic_dir, tmp_path / "o", "--crop", "60", "64"))
    assert code == 2 and "multiples of 32" in stderr


def _free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_two_local_multiworker_workers_end_identical(synthetic_dir, tmp_path):
    ports = [_free_port(), _free_port()]
    cluster = {"worker": [f"127.0.0.1:{p}" for p in ports]}
    procs = []
    for index in range(2):
        env = {**ENV, "TF_CONFIG": json.dumps({"cluster": cluster, "task": {"type": "worker", "index": index}})}
        cmd = _train_cmd(synthetic_dir, tmp_path / f"w{index}", "--epochs", "1", "--strategy", "multiworker",
                         "--val-split", "", "--no-data-check")
        procs.append(subprocess.Popen(cmd, cwd=REPO, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                                      text=True))
    outputs = [p.communicate(timeout=600)[0] for p in procs]
    for p, text in zip(procs, outputs):
        assert p.returncode == 0, text[-3000:]
        assert "2 replica(s)" in text
    # worker 1 keeps its files under OUT_DIR/worker-1, so a shared OUT_DIR is safe
    assert not (tmp_path / "w1" / "model.keras").exists()
    a = keras.models.load_model(tmp_path / "w0" / "model.keras", compile=False).get_weights()
    b = keras.models.load_model(tmp_path / "w1" / "worker-1" / "model.keras", compile=False).get_weights()
    for wa, wb in zip(a, b):
        np.testing.assert_array_equal(wa, wb)
    start = keras.models.load_model(tmp_path / "w0" / "model.keras", compile=False)
    assert any(np.any(w != 0) for w in start.get_weights())


def test_drive_holdout_protocol_own_aux_and_jitter_are_run_flags(drive_run, tmp_path):
    assert "training on 0016E5 10; validating on held-out drive 0006R0 2" in drive_run.stdout
    assert "val_logits_miou" in drive_run.stdout
    flags = json.loads((drive_run.out / "state" / "state.json").read_text())["flags"]
    assert (flags["protocol"], flags["aux_resolution"], flags["color_jitter"], flags["ema"]) == (
        "drive-holdout", "own", 0.2, 0.1)
    # the export is the moving average, not the last raw weights of checkpoints/last
    last = keras.models.load_model(drive_run.out / "checkpoints" / "last.keras", compile=False)
    model = keras.models.load_model(drive_run.out / "model.keras", compile=False)
    assert len(model.outputs) == 1 and model.outputs[0].shape[1:3] == (None, None)
    kernel = "head.conv_out.1"
    assert not np.allclose(model.get_layer(kernel).get_weights()[0], last.get_layer(kernel).get_weights()[0])

    out = tmp_path / "holdout"
    shutil.copytree(drive_run.out, out)
    code, _, stderr = train_in_process(tiny_train_argv(drive_run.data, out, "--epochs", "1"))
    assert code == 1 and "--protocol (run: drive-holdout, now: None)" in stderr
    code, _, stderr = train_in_process(drive_run.argv(out) + ["--val-split", "train"])
    assert code == 2 and "drop --train-split and --val-split" in stderr

    from training import evaluate

    report = tmp_path / "held.json"
    evaluate.main(["--model", str(out / "model.keras"), "--data-dir", str(drive_run.data), "--protocol",
                   "drive-holdout", "--json", str(report)])
    result = json.loads(report.read_text())
    assert result["num_images"] == 2 and result["protocol"] == "drive-holdout"


def test_init_weights_reinitialises_class_layers_reports_counts_and_refuses_no_match(synthetic_dir, tmp_path):
    """Fine-tuning the shipped 11-class CamVid model on a 7-class dataset keeps every layer
    but the class-count ones; a model that matches nothing is refused."""
    code, stdout, stderr = train_in_process(tiny_train_argv(
        synthetic_dir, tmp_path / "ft", "--epochs", "1", "--val-split", "", "--steps-per-epoch", "1",
        "--init-weights", str(REPO / "models" / "camvid" / "bisenetv2.keras")))
    assert code == 0, stdout[-2000:] + stderr[-2000:]
    line = next(l for l in stdout.splitlines() if l.startswith("initialised "))
    assert line.startswith("initialised ") and " of " in line and "re-initialised for 7 classes: head.conv_out.1" in line
    assert "aux2.conv_out.1" not in line.split("re-initialised")[1]  # aux heads are not in the inference model

    other = tmp_path / "other.keras"
    x = keras.Input((None, None, 3))
    keras.Model(x, keras.layers.Conv2D(7, 1, name="classifier")(x)).save(other)
    code, _, stderr = train_in_process(tiny_train_argv(synthetic_dir, tmp_path / "o2", "--epochs", "1",
                                                       "--val-split", "", "--init-weights", str(other)))
    assert code == 1 and "Traceback" not in stderr
    assert "none of the model's" in _last_line(stderr)


def test_a_busy_run_folder_is_refused_and_ctrl_c_is_one_line(synthetic_dir, tmp_path):
    from training import run_state

    out = tmp_path / "busy"
    held = run_state.lock(str(out))  # held by this process: the run is another one
    busy = subprocess.run(_train_cmd(synthetic_dir, out, "--epochs", "1"), cwd=REPO, env=ENV, capture_output=True,
                          text=True, timeout=300)
    assert busy.returncode == 1 and "Traceback" not in busy.stderr
    assert f"in use by another training process (pid {os.getpid()}" in _last_line(busy.stderr)
    held.close()

    # Ctrl-C once the second epoch runs; 3-step epochs take a second or two, so the run is
    # long enough that a reader lagging on a loaded machine still interrupts it mid-way
    # (a shell's background job, like pytest run with `&`, starts with SIGINT ignored, and
    # Python keeps it ignored; the run gets the disposition of a terminal's foreground job)
    proc = subprocess.Popen(_train_cmd(synthetic_dir, out, "--epochs", "200"), cwd=REPO, env=ENV,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))
    for line in proc.stdout:
        if line.startswith("epoch 2 step 2"):
            proc.send_signal(signal.SIGINT)
            break
    err = proc.communicate(timeout=300)[1]
    assert proc.returncode == 1 and "Traceback" not in err, err[-2000:]
    done = re.fullmatch(rf"interrupted: the run state in {re.escape(str(out))} holds epoch (\d+) of 200 "
                        r"\(step (\d+)\); re-run the same command to resume", _last_line(err))
    assert done and int(done[1]) >= 1 and int(done[2]) == 3 * int(done[1]), _last_line(err)

    state_json = out / "state" / "state.json"  # a damaged state: one line saying what and how to go on
    state = json.loads(state_json.read_text())
    del state["flags"]
    state_json.write_text(json.dumps(state))
    code, _, stderr = train_in_process(tiny_train_argv(synthetic_dir, out, "--epochs", "3"))
    assert code == 1 and "Traceback" not in stderr
    assert "damaged run state: flags (the run's flags) is missing" in stderr
