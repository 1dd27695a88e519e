"""Run state: save/restore round trip, slot alternation, finiteness guard, git commit,
and the JSON of states committed by earlier versions."""
import dataclasses
import json
import os
import subprocess

import numpy as np
import pytest
import tf_keras as keras

from training import run_state

GIT_ENV = {"GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@t", "GIT_COMMITTER_NAME": "t",
           "GIT_COMMITTER_EMAIL": "t@t"}


def _state(**values):
    """A new run state (as training.trainer starts one) with ``values`` replaced."""
    return run_state.RunState(**{"epoch": 0, "step": 0, "epochs": 5, "flags": {"seed": 0}, **values})


def _model(seed=0):
    keras.utils.set_random_seed(seed)
    model = keras.Sequential([keras.Input((3,)), keras.layers.Dense(4), keras.layers.Dense(1)])
    model.compile(keras.optimizers.SGD(0.1, momentum=0.9), "mse")
    return model


def _train(model, steps=3):
    x = np.random.default_rng(1).random((steps * 2, 3), np.float32)
    model.fit(x, x[:, :1], batch_size=2, epochs=1, verbose=0)


def test_save_restore_round_trip_with_momentum_and_step(tmp_path):
    model = _model()
    _train(model)
    state = _state(epoch=1, step=3, epochs=5)
    assert run_state.save(state, str(tmp_path), model).checkpoint == "a"
    assert run_state.read(str(tmp_path)) == dataclasses.replace(state, checkpoint="a")

    fresh = _model(seed=1)
    run_state.restore(run_state.read(str(tmp_path)), str(tmp_path), fresh)
    assert int(fresh.optimizer.iterations.numpy()) == 3
    for a, b in zip(model.get_weights(), fresh.get_weights()):
        np.testing.assert_array_equal(a, b)
    for a, b in zip(model.optimizer.variables, fresh.optimizer.variables):
        np.testing.assert_array_equal(a.numpy(), b.numpy())
    # the two continue identically
    _train(model)
    _train(fresh)
    for a, b in zip(model.get_weights(), fresh.get_weights()):
        np.testing.assert_allclose(a, b, rtol=1e-6)


def test_slots_alternate_and_one_is_left_at_rest(tmp_path):
    model = _model()
    state = _state(epochs=2)
    root = tmp_path / "state"
    for expected in ("a", "b", "a"):
        state = run_state.save(state, str(tmp_path), model)
        assert state.checkpoint == expected
        assert sorted(p.name for p in root.iterdir()) == sorted([expected, "state.json"])


def test_a_half_written_free_slot_does_not_break_the_state(tmp_path):
    model = _model()
    state = _state(epoch=1, step=3, epochs=2)
    state = run_state.save(state, str(tmp_path), model)
    (tmp_path / "state" / "b").mkdir()  # a kill in the middle of the next write
    (tmp_path / "state" / "b" / "ckpt.index").write_bytes(b"\0" * 7)
    fresh = _model(seed=1)
    run_state.restore(run_state.read(str(tmp_path)), str(tmp_path), fresh)
    np.testing.assert_array_equal(fresh.get_weights()[0], model.get_weights()[0])
    assert run_state.save(state, str(tmp_path), model).checkpoint == "b"  # overwrites the broken slot


def test_unreadable_or_foreign_state_names_the_file(tmp_path):
    (tmp_path / "state").mkdir()
    (tmp_path / "state" / "state.json").write_text("{trunc")
    with pytest.raises(ValueError, match=r"state\.json: unreadable run state.*--restart"):
        run_state.read(str(tmp_path))
    (tmp_path / "state" / "state.json").write_text(json.dumps({"format": 99}))
    with pytest.raises(ValueError, match="format 99"):
        run_state.read(str(tmp_path))
    assert run_state.read(str(tmp_path / "none")) is None


def test_check_finite_on_weights_and_losses():
    model = _model()
    run_state.check_finite(model, {"loss": 1.0, "val_loss": 2.0, "val_miou": 0.5})
    with pytest.raises(run_state.NonFiniteError, match="val_loss became nan"):
        run_state.check_finite(model, {"loss": 1.0, "val_loss": float("nan")})
    weights = model.get_weights()
    weights[0][0, 0] = np.inf
    weights[2][1, 0] = np.nan
    model.set_weights(weights)
    with pytest.raises(run_state.NonFiniteError, match="2 weights became NaN or inf"):
        run_state.check_finite(model)


def test_git_commit_commits_only_its_paths(tmp_path, monkeypatch):
    for key, value in GIT_ENV.items():
        monkeypatch.setenv(key, value)
    repo = tmp_path / "repo"
    subprocess.run(["git", "init", "-q", str(repo)], check=True)
    (repo / ".gitignore").write_text("/runs/\n")
    (repo / "other.txt").write_text("staged by someone else\n")
    subprocess.run(["git", "-C", str(repo), "add", ".gitignore", "other.txt"], check=True)
    state = repo / "runs" / "r" / "state"
    (state / "a").mkdir(parents=True)
    (state / "a" / "ckpt.index").write_text("x")
    (state / "state.json").write_text("{}")
    assert run_state.git_commit([str(state)], "state 1")
    os.rename(state / "a", state / "b")  # the next save moves to the other slot
    assert run_state.git_commit([str(state)], "state 2")
    tracked = subprocess.run(["git", "-C", str(repo), "ls-tree", "-r", "--name-only", "HEAD"], capture_output=True, text=True).stdout.split()
    assert tracked == ["runs/r/state/b/ckpt.index", "runs/r/state/state.json"]
    staged = subprocess.run(["git", "-C", str(repo), "diff", "--cached", "--name-only"], capture_output=True,
                            text=True).stdout.split()
    assert staged == [".gitignore", "other.txt"]  # left staged, not swept into the state commit


def test_git_commit_outside_a_repo_warns_and_returns_false(tmp_path, capsys):
    (tmp_path / "state").mkdir()
    assert not run_state.git_commit([str(tmp_path / "state")], "m")
    assert "warning: could not commit the run state" in capsys.readouterr().out


class FakeValidation(keras.callbacks.Callback):
    """Puts a scripted val_miou into the logs of validated epochs (before the state callback)."""

    def __init__(self, scores):
        super().__init__()
        self.scores = scores

    def on_epoch_end(self, epoch, logs=None):
        if epoch in self.scores:
            logs["val_miou"] = self.scores[epoch]


def test_callback_keeps_best_across_resume_and_saves_state_each_epoch(tmp_path, monkeypatch):
    saved = []
    real_save = run_state.save_model
    monkeypatch.setattr(run_state, "save_model", lambda m, p: (saved.append(os.path.basename(p)), real_save(m, p)))
    model = _model()
    # as after a resume: an earlier machine saw 0.35 at epoch 2
    state = _state(epochs=6, best=run_state.Best("val_miou", 0.35, 2))
    paths = {"last": str(tmp_path / "last.keras"), "best": str(tmp_path / "best.keras")}
    callback = run_state.RunStateCallback(state, str(tmp_path), "val_miou", paths)
    x = np.ones((4, 3), np.float32)
    model.fit(x, x[:, :1], batch_size=2, epochs=6, verbose=0,
              callbacks=[FakeValidation({1: 0.3, 3: 0.2, 5: 0.4}), callback])
    assert saved == ["last.keras"] * 5 + ["best.keras", "last.keras"]  # 0.3 and 0.2 do not beat 0.35
    assert callback.state.best == run_state.Best("val_miou", 0.4, 6)
    on_disk = run_state.read(str(tmp_path))
    assert on_disk == callback.state
    assert on_disk.epoch == 6 and on_disk.step == 12 and on_disk.complete and on_disk.hours > 0


@pytest.mark.parametrize("ext", [".h5", ".keras"])
def test_exported_models_leave_the_optimizer_slots_out(tmp_path, ext):
    model = keras.Sequential([keras.Input((64,)), keras.layers.Dense(256), keras.layers.Dense(1)])
    model.compile(keras.optimizers.SGD(0.1, momentum=0.9), "mse")
    x = np.random.default_rng(1).random((4, 64), np.float32)
    model.fit(x, x[:, :1], batch_size=2, epochs=1, verbose=0)
    full, bare = tmp_path / f"full{ext}", tmp_path / f"bare{ext}"
    run_state.save_model(model, str(full))
    run_state.save_model(model, str(bare), include_optimizer=False)
    assert sorted(os.listdir(tmp_path)) == sorted([full.name, bare.name])  # no temporary left
    restored = keras.models.load_model(bare, compile=False)
    for a, b in zip(restored.get_weights(), model.get_weights()):
        np.testing.assert_array_equal(a, b)
    assert bare.stat().st_size < 0.8 * full.stat().st_size  # momentum slots are as large as the weights
    if ext == ".h5":
        import h5py
        with h5py.File(full) as f_full, h5py.File(bare) as f_bare:
            assert "optimizer_weights" in f_full and "optimizer_weights" not in f_bare


@pytest.mark.parametrize("damage,message", [
    (lambda s: s.pop("flags"), "flags (the run's flags) is missing"),
    (lambda s: s.update(step="12"), "step (optimizer steps done) is str '12'"),
    (lambda s: s.update(complete=1), "complete (whether the run finished) is int 1"),
    (lambda s: s.update(epoch=True), "epoch (epochs done) is bool True"),
    (lambda s: s.update(best=[0.5]), "best (the best validation score) is [0.5]"),
    (lambda s: s["flags"].pop("seed"), "flags.seed (the run's seed) is missing"),
])
def test_a_damaged_state_says_what_is_damaged_and_how_to_go_on(tmp_path, damage, message):
    run_state.save(_state(), str(tmp_path), _model())
    path = tmp_path / "state" / "state.json"
    state = json.loads(path.read_text())
    damage(state)
    path.write_text(json.dumps(state))
    with pytest.raises(ValueError, match="damaged run state") as err:
        run_state.read(str(tmp_path))
    assert message in str(err.value) and "--restart" in str(err.value)


def test_a_deleted_slot_or_another_model_is_a_value_error_naming_it(tmp_path):
    run_state.save(_state(), str(tmp_path), _model())
    state = run_state.read(str(tmp_path))
    other = keras.Sequential([keras.Input((3,)), keras.layers.Dense(9), keras.layers.Dense(1)])
    other.compile(keras.optimizers.SGD(0.1, momentum=0.9), "mse")
    with pytest.raises(ValueError, match="does not load into this model"):
        run_state.restore(state, str(tmp_path), other)
    import shutil

    shutil.rmtree(tmp_path / "state" / state.checkpoint)
    with pytest.raises(ValueError, match="missing checkpoint of the run state; pass --restart"):
        run_state.restore(state, str(tmp_path), _model())


def _hold_lock(out_dir, ready):
    handle = run_state.lock(out_dir)  # noqa: F841
    ready.set()
    import time

    time.sleep(60)


def test_one_process_owns_a_run_folder_and_a_dead_holder_never_blocks(tmp_path):
    import multiprocessing

    ctx = multiprocessing.get_context("fork")
    ready = ctx.Event()
    holder = ctx.Process(target=_hold_lock, args=(str(tmp_path), ready))
    holder.start()
    try:
        assert ready.wait(30)
        with pytest.raises(run_state.RunBusyError, match=f"in use by another training process \\(pid {holder.pid}"):
            run_state.lock(str(tmp_path))
    finally:
        holder.kill()  # like kill -9: no clean-up runs
        holder.join()
    assert run_state.lock(str(tmp_path)) is not None  # the kernel released the dead holder's lock


def test_a_state_json_written_by_the_dict_era_code_reads_and_writes_back_the_same(tmp_path):
    """The format of runs committed before RunState existed (the CamVid run's state was first
    committed so): every key read into typed fields, and written back unchanged."""
    old = {"best": {"epoch": 60, "monitor": "val_logits_miou", "value": 0.38}, "checkpoint": "a", "complete": False,
           "epoch": 63, "epochs": 223, "format": 1, "hours": 0.94, "step": 2835,
           "flags": {"seed": 0, "model": "bisenetv2", "crop": [256, 320], "epochs": 223}}
    (tmp_path / "state").mkdir()
    (tmp_path / "state" / "state.json").write_text(json.dumps(old))
    state = run_state.read(str(tmp_path))
    assert state.best == run_state.Best("val_logits_miou", 0.38, 60) and state.step == 2835
    assert state.to_json() == old
    assert run_state.RunState.from_json(json.loads(json.dumps(state.to_json()))) == state


def test_saving_a_model_whose_metrics_cannot_build_logs_nothing(tmp_path, capfd, caplog):
    """tf_keras logs "Compiled the loaded model, but the compiled metrics have yet to be
    built" on each HDF5 save of a compiled QAT model (issue #23: two WARNING:tensorflow lines
    per QAT run); the file is complete, so the line is dropped."""
    model = keras.Sequential([keras.Input((3,)), keras.layers.Dense(1, name="d")])
    model.compile("sgd", "mse", metrics={"not_an_output": ["mae"]})  # builds only in fit, and fails
    run_state.save_model(model, str(tmp_path / "m.h5"))
    assert (tmp_path / "m.h5").is_file()
    captured = capfd.readouterr()
    shown = captured.out + captured.err + "".join(r.getMessage() for r in caplog.records)
    assert "compiled metrics" not in shown


def test_tf_log_filter_drops_only_its_message_and_only_inside(caplog):
    import logging

    logger = logging.getLogger("tensorflow")
    with caplog.at_level(logging.WARNING, logger="tensorflow"):
        with run_state._tf_log_filter("Compiled the loaded model"):
            logger.warning("Compiled the loaded model, but ...")
            logger.warning("something else")
        logger.warning("Compiled the loaded model, after")
    assert [r.getMessage() for r in caplog.records] == ["something else", "Compiled the loaded model, after"]
