"""The fit CLI end to end on tiny synthetic data: train, kill -9 + resume, re-run of a
finished run, SIGTERM + commit + resume on a fresh clone, NaN stops, flag checks,
evaluate/predict CLIs, and two local MultiWorkerMirroredStrategy workers."""
import csv
import json
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest
import tf_keras as keras

from conftest import REPO

pytestmark = pytest.mark.slow
ENV = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "2", "PYTHONUNBUFFERED": "1"}


def _train_cmd(data, out, *extra):
    return [sys.executable, "-m", "training.train", "--data-dir", str(data), "--out-dir", str(out),
            "--batch-size", "2", "--crop", "64", "64", "--steps-per-epoch", "3", "--warmup-steps", "1",
            "--log-every", "1", "--val-batch-size", "2", "--seed", "0", "--precision", "float32", *extra]


def _epochs_logged(out):
    with open(out / "log.csv") as f:
        return [int(row["epoch"]) for row in csv.DictReader(f)]


def test_train_kill9_resume_evaluate_predict(synthetic_dir, tmp_path):
    out = tmp_path / "run"
    cmd = _train_cmd(synthetic_dir, out, "--epochs", "3")
    proc = subprocess.Popen(cmd, cwd=REPO, env=ENV, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    seen = []
    for line in proc.stdout:  # kill -9 in the middle of the second epoch
        seen.append(line)
        if line.startswith("epoch 2 step 2"):
            proc.send_signal(signal.SIGKILL)
            break
    proc.wait(timeout=60)
    assert proc.returncode == -signal.SIGKILL, "".join(seen[-20:])
    assert _epochs_logged(out) == [0]

    resumed = subprocess.run(cmd, cwd=REPO, env=ENV, capture_output=True, text=True, timeout=600)
    assert resumed.returncode == 0, resumed.stdout[-2000:] + resumed.stderr[-2000:]
    steps = [l for l in resumed.stdout.splitlines() if l.startswith("epoch ") and " step " in l]
    assert steps[0].startswith("epoch 2 step 1"), steps[:2]  # epoch 1 is not redone
    assert _epochs_logged(out) == [0, 1, 2]
    for name in ("checkpoints/last.keras", "checkpoints/best.keras", "model.keras", "train_args.json"):
        assert (out / name).is_file(), name
    model = keras.models.load_model(out / "model.keras", compile=False)
    assert len(model.outputs) == 1 and model.outputs[0].shape[-1] == 7

    # re-running the finished run leaves it alone; other run flags are refused by name
    before = {n: (out / n).stat().st_mtime_ns for n in ("model.keras", "checkpoints/best.keras", "log.csv")}
    again = subprocess.run(cmd, cwd=REPO, env=ENV, capture_output=True, text=True, timeout=300)
    assert again.returncode == 0 and "is complete (3 epochs, 9 steps" in again.stdout, again.stderr[-2000:]
    assert {n: (out / n).stat().st_mtime_ns for n in before} == before
    other = subprocess.run(_train_cmd(synthetic_dir, out, "--epochs", "3", "--lr", "0.5"), cwd=REPO, env=ENV,
                           capture_output=True, text=True, timeout=300)
    assert other.returncode != 0 and "Traceback" not in other.stderr
    assert "other flags: --lr (run: None, now: 0.5)" in other.stderr.strip().splitlines()[-1]
    assert {n: (out / n).stat().st_mtime_ns for n in before} == before

    report = tmp_path / "val.json"
    ev = subprocess.run([sys.executable, "-m", "training.evaluate", "--model", str(out / "model.keras"),
                         "--data-dir", str(synthetic_dir), "--split", "val", "--json", str(report), "--flip"],
                        cwd=REPO, env=ENV, capture_output=True, text=True, timeout=300)
    assert ev.returncode == 0, ev.stderr[-2000:]
    result = json.loads(report.read_text())
    assert 0.0 <= result["miou"] <= 1.0 and 0.0 <= result["pixel_accuracy"] <= 1.0
    assert set(result["per_class_iou"]) == {"sky", "building", "road", "pavement", "tree", "car", "pole"}
    assert result["num_images"] == 4 and np.asarray(result["confusion_matrix"]).shape == (7, 7)

    image = os.path.join(synthetic_dir, "val", "val_0000.png")
    pred = subprocess.run([sys.executable, "-m", "training.predict", "--model", str(out / "model.keras"),
                           "--out-dir", str(tmp_path / "pred"), image], cwd=REPO, env=ENV,
                          capture_output=True, text=True, timeout=300)
    assert pred.returncode == 0, pred.stderr[-2000:]
    from PIL import Image

    assert Image.open(tmp_path / "pred" / "val_0000_mask.png").size == (96, 64)
    assert Image.open(tmp_path / "pred" / "val_0000_overlay.png").size == (96, 64)


def test_nan_loss_stops_with_clear_message(synthetic_dir, tmp_path):
    out = tmp_path / "nan"
    result = subprocess.run(_train_cmd(synthetic_dir, out, "--epochs", "2", "--lr", "1e30", "--val-split", ""),
                            cwd=REPO, env=ENV, capture_output=True, text=True, timeout=300)
    assert result.returncode != 0
    last = result.stderr.strip().splitlines()[-1]
    assert last.startswith("error: loss became nan") and "Traceback" not in result.stderr
    assert not (out / "model.keras").exists()


def test_non_finite_weights_stop_before_anything_is_saved(synthetic_dir, tmp_path):
    # at LR 1e6 the loss can stay finite while weights overflow: the weight check must catch it
    out = tmp_path / "huge"
    result = subprocess.run(_train_cmd(synthetic_dir, out, "--epochs", "2", "--lr", "1e6", "--warmup-steps", "0"),
                            cwd=REPO, env=ENV, capture_output=True, text=True, timeout=300)
    assert result.returncode != 0, result.stdout[-2000:]
    last = result.stderr.strip().splitlines()[-1]
    assert last.startswith("error: ") and "became" in last and "Traceback" not in result.stderr, last
    assert not (out / "model.keras").exists() and not (out / "state").exists()


def _lr_by_step(text):
    return {tuple(line.split(":")[0].split()[1::2]): line.split(" lr ")[1].split()[0]
            for line in text.splitlines() if line.startswith("epoch ") and " step " in line}


def test_sigterm_commits_state_and_a_fresh_clone_resumes_it(synthetic_dir, tmp_path):
    env = {**ENV, "GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@t", "GIT_COMMITTER_NAME": "t",
           "GIT_COMMITTER_EMAIL": "t@t"}
    straight = subprocess.run(_train_cmd(synthetic_dir, tmp_path / "straight", "--epochs", "3"), cwd=REPO, env=env,
                              capture_output=True, text=True, timeout=600)
    assert straight.returncode == 0, straight.stderr[-2000:]

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
    assert lrs == {k: v for k, v in _lr_by_step(straight.stdout).items() if k[0] != "1"}
    final = [json.loads((d / "state" / "state.json").read_text()) for d in (tmp_path / "straight", clone / "runs" / "r")]
    assert [s["step"] for s in final] == [9, 9] and all(s["complete"] for s in final)


def test_numeric_flags_are_checked_up_front(synthetic_dir, tmp_path):
    for extra, flag in ((["--steps-per-epoch", "-1"], "--steps-per-epoch"), (["--crop", "0", "0"], "--crop"),
                        (["--lr", "nan"], "--lr"), (["--scale-range", "2", "1"], "--scale-range"),
                        (["--momentum", "1.5"], "--momentum"), (["--commit-state-every", "-1"], "--commit-state-every")):
        result = subprocess.run(_train_cmd(synthetic_dir, tmp_path / "o", "--epochs", "1", *extra), cwd=REPO,
                                env=ENV, capture_output=True, text=True, timeout=120)
        assert result.returncode == 2 and flag + " must be" in result.stderr, (extra, result.stderr[-500:])
    assert not (tmp_path / "o").exists()


def test_class_weights_are_a_run_flag_and_old_states_mean_none(synthetic_dir, tmp_path):
    out = tmp_path / "cw"
    cmd = _train_cmd(synthetic_dir, out, "--epochs", "1", "--val-split", "")
    weighted = subprocess.run(cmd + ["--class-weights", "median-frequency"], cwd=REPO, env=ENV,
                              capture_output=True, text=True, timeout=300)
    assert weighted.returncode == 0, weighted.stdout[-2000:] + weighted.stderr[-2000:]
    assert "class weights (median-frequency): " in weighted.stdout
    plain = subprocess.run(cmd, cwd=REPO, env=ENV, capture_output=True, text=True, timeout=120)
    assert plain.returncode == 1 and "--class-weights (run: median-frequency, now: none)" in plain.stderr

    # a state written before the flag existed resumes as an unweighted run
    state_json = out / "state" / "state.json"
    state = json.loads(state_json.read_text())
    del state["flags"]["class_weights"]
    state_json.write_text(json.dumps(state))
    again = subprocess.run(cmd, cwd=REPO, env=ENV, capture_output=True, text=True, timeout=120)
    assert again.returncode == 0 and "Nothing to do" in again.stdout, again.stderr[-1000:]


def test_bad_data_exits_with_one_line(tmp_path, synthetic_dir):
    result = subprocess.run(_train_cmd(tmp_path / "missing", tmp_path / "o", "--epochs", "1"), cwd=REPO,
                            env=ENV, capture_output=True, text=True, timeout=120)
    assert result.returncode != 0
    assert result.stderr.strip().splitlines()[-1].startswith("error: folder not found")
    bad = subprocess.run(_train_cmd(synthetic_dir, tmp_path / "o", "--crop", "60", "64"), cwd=REPO, env=ENV,
                         capture_output=True, text=True, timeout=120)
    assert bad.returncode == 2 and "multiples of 32" in bad.stderr


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


def _drive_named_copy(synthetic_dir, root):
    synthetic_dir = Path(synthetic_dir)
    """The synthetic dataset with CamVid drive prefixes: train frames 0-1 from 0006R0."""
    import shutil

    for split in ("train", "val"):
        for sub in (split, split + "annot"):
            (root / sub).mkdir(parents=True)
        for i, name in enumerate(sorted(os.listdir(synthetic_dir / split))):
            drive = "0006R0" if split == "train" and i < 2 else "0016E5"
            for sub in (split, split + "annot"):
                shutil.copy(synthetic_dir / sub / name, root / sub / f"{drive}_{name}")
    shutil.copy(synthetic_dir / "classes.json", root / "classes.json")
    return root


def test_drive_holdout_protocol_own_aux_and_jitter_are_run_flags(synthetic_dir, tmp_path):
    data = _drive_named_copy(synthetic_dir, tmp_path / "drives")
    out = tmp_path / "holdout"
    cmd = _train_cmd(data, out, "--epochs", "1", "--protocol", "drive-holdout", "--aux-resolution", "own",
                     "--color-jitter", "0.2", "--ema", "0.9")
    run = subprocess.run(cmd, cwd=REPO, env=ENV, capture_output=True, text=True, timeout=300)
    assert run.returncode == 0, run.stdout[-2000:] + run.stderr[-2000:]
    assert "training on 0016E5 10; validating on held-out drive 0006R0 2" in run.stdout
    assert "val_logits_miou" in run.stdout
    flags = json.loads((out / "state" / "state.json").read_text())["flags"]
    assert (flags["protocol"], flags["aux_resolution"], flags["color_jitter"], flags["ema"]) == (
        "drive-holdout", "own", 0.2, 0.9)
    # the export is the moving average, not the last raw weights of checkpoints/last
    last = keras.models.load_model(out / "checkpoints" / "last.keras", compile=False)
    model = keras.models.load_model(out / "model.keras", compile=False)
    assert len(model.outputs) == 1 and model.outputs[0].shape[1:3] == (None, None)
    kernel = "head.conv_out.1"
    assert not np.allclose(model.get_layer(kernel).get_weights()[0], last.get_layer(kernel).get_weights()[0])

    plain = subprocess.run(cmd[:-8], cwd=REPO, env=ENV, capture_output=True, text=True, timeout=120)
    assert plain.returncode == 1 and "--protocol (run: drive-holdout, now: None)" in plain.stderr
    mixed = subprocess.run(cmd + ["--val-split", "train"], cwd=REPO, env=ENV, capture_output=True, text=True,
                           timeout=120)
    assert mixed.returncode == 2 and "drop --train-split and --val-split" in mixed.stderr

    report = tmp_path / "held.json"
    ev = subprocess.run([sys.executable, "-m", "training.evaluate", "--model", str(out / "model.keras"),
                         "--data-dir", str(data), "--protocol", "drive-holdout", "--json", str(report)],
                        cwd=REPO, env=ENV, capture_output=True, text=True, timeout=300)
    assert ev.returncode == 0, ev.stderr[-2000:]
    result = json.loads(report.read_text())
    assert result["num_images"] == 2 and result["protocol"] == "drive-holdout"


def test_init_weights_reinitialises_class_layers_reports_counts_and_refuses_no_match(synthetic_dir, tmp_path):
    """Fine-tuning the shipped 11-class CamVid model on a 7-class dataset keeps every layer
    but the class-count ones; a model that matches nothing is refused."""
    out = tmp_path / "ft"
    cmd = _train_cmd(synthetic_dir, out, "--epochs", "1", "--val-split", "", "--steps-per-epoch", "1",
                     "--init-weights", str(REPO / "models" / "camvid" / "bisenetv2.keras"))
    run = subprocess.run(cmd, cwd=REPO, env=ENV, capture_output=True, text=True, timeout=300)
    assert run.returncode == 0, run.stdout[-2000:] + run.stderr[-2000:]
    line = next(l for l in run.stdout.splitlines() if l.startswith("initialised "))
    assert line.startswith("initialised ") and " of " in line and "re-initialised for 7 classes: head.conv_out.1" in line
    assert "aux2.conv_out.1" not in line.split("re-initialised")[1]  # aux heads are not in the inference model

    other = tmp_path / "other.keras"
    x = keras.Input((None, None, 3))
    keras.Model(x, keras.layers.Conv2D(7, 1, name="classifier")(x)).save(other)
    refused = subprocess.run(_train_cmd(synthetic_dir, tmp_path / "o2", "--epochs", "1", "--val-split", "",
                                        "--init-weights", str(other)),
                             cwd=REPO, env=ENV, capture_output=True, text=True, timeout=300)
    assert refused.returncode == 1 and "Traceback" not in refused.stderr
    assert "none of the model's" in refused.stderr.strip().splitlines()[-1]


def test_a_busy_run_folder_is_refused_and_ctrl_c_is_one_line(synthetic_dir, tmp_path):
    from training import run_state

    out = tmp_path / "busy"
    held = run_state.lock(str(out))
    busy = subprocess.run(_train_cmd(synthetic_dir, out, "--epochs", "1"), cwd=REPO, env=ENV, capture_output=True,
                          text=True, timeout=300)
    assert busy.returncode == 1 and "Traceback" not in busy.stderr
    assert f"in use by another training process (pid {os.getpid()}" in busy.stderr.strip().splitlines()[-1]
    held.close()

    proc = subprocess.Popen(_train_cmd(synthetic_dir, out, "--epochs", "3"), cwd=REPO, env=ENV,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    for line in proc.stdout:  # Ctrl-C in the middle of the second epoch
        if line.startswith("epoch 2 step 2"):
            proc.send_signal(signal.SIGINT)
            break
    err = proc.communicate(timeout=120)[1]
    assert proc.returncode == 1 and "Traceback" not in err, err[-2000:]
    assert err.strip().splitlines()[-1] == (f"interrupted: the run state in {out} holds epoch 1 of 3 (step 3); "
                                            "re-run the same command to resume")

    state_json = out / "state" / "state.json"  # a damaged state: one line saying what and how to go on
    state = json.loads(state_json.read_text())
    del state["flags"]
    state_json.write_text(json.dumps(state))
    damaged = subprocess.run(_train_cmd(synthetic_dir, out, "--epochs", "3"), cwd=REPO, env=ENV,
                             capture_output=True, text=True, timeout=300)
    assert damaged.returncode == 1 and "Traceback" not in damaged.stderr
    assert "damaged run state: flags (the run's flags) is missing" in damaged.stderr
