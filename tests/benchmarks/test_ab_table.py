"""The A/B table reads each arm's run record (or run state) and held-out evaluations;
--record writes an arm's record from its finished run folder."""
import json

import pytest

from benchmarks import ab_table


def _eval(path, miou):
    per_class = {c: miou for c in ("Sky", *ab_table.THIN)}
    path.write_text(json.dumps({"miou": miou, "per_class_iou": per_class}))


def _run(runs, arm, complete=True, precision="float32", **args):
    (runs / arm / "state").mkdir(parents=True, exist_ok=True)
    (runs / arm / "state" / "state.json").write_text(json.dumps(
        {"step": 100, "hours": 0.05, "complete": complete,
         "flags": {"seed": 1, "aux_resolution": "own", "crop": [256, 320], "batch_size": 8}}))
    (runs / arm / "train_args.json").write_text(json.dumps({"precision": precision, "qat": False, **args}))


def test_one_row_per_evaluated_arm_from_its_run_state(tmp_path):
    runs, evals = tmp_path / "runs", tmp_path / "eval"
    _run(runs, "a")
    evals.mkdir()
    _eval(evals / "a_s1.0.json", 0.35)
    _eval(evals / "a_s1.5.json", 0.4)
    _eval(evals / "b_s1.5.json", 0.1)  # no scale-1.0 score yet: no row
    lines = ab_table.table(str(runs), str(evals))
    assert len(lines) == 3
    assert lines[2] == ("| a | crop 256 320, aux_resolution own, seed 1 | ? | 100 | 35.00 | 40.00 "
                        "| 35.0 | 35.0 | 35.0 | 35.0 | 35.0 | 1.80 |")


def test_record_round_trip_survives_without_the_run_folder(tmp_path):
    runs, evals = tmp_path / "runs", tmp_path / "eval"
    _run(runs, "a", precision="mixed_bfloat16")
    path = ab_table.write_record(ab_table.run_record("a", str(runs)), str(evals))
    record = json.loads(open(path).read())
    assert record["precision"] == "mixed_bfloat16" and record["step"] == 100
    assert record["cpu"].startswith("CPU: ")
    assert [p.name for p in evals.iterdir()] == ["a.run.json"]  # no temp file left
    _eval(evals / "a_s1.0.json", 0.3)
    (runs / "a" / "state" / "state.json").unlink()  # a fresh clone: runs/ab is not committed
    row = ab_table.table(str(runs), str(evals))[2]
    assert row.startswith("| a | crop 256 320, aux_resolution own, seed 1 | bf16 | 100 | 30.00 |  |")
    assert row.endswith("| 1.80 |")


def test_record_resolves_auto_precision_on_this_machine(tmp_path, monkeypatch):
    from training import precision

    runs = tmp_path / "runs"
    _run(runs, "a", precision="auto")
    monkeypatch.setattr(precision, "gpu_capabilities", lambda: [])
    monkeypatch.setattr(precision, "cpu_flags", lambda: ("cpu", {"avx2"}))
    assert ab_table.run_record("a", str(runs))["precision"] == "float32"
    monkeypatch.setattr(precision, "cpu_flags", lambda: ("cpu", {"avx2", "amx_bf16"}))
    assert ab_table.run_record("a", str(runs))["precision"] == "mixed_bfloat16"


def test_record_refuses_a_missing_or_unfinished_run(tmp_path):
    runs = tmp_path / "runs"
    with pytest.raises(SystemExit, match="--record a: .*state.json not found"):
        ab_table.run_record("a", str(runs))
    _run(runs, "b", complete=False)
    with pytest.raises(SystemExit, match="--record b: the run in .* is not finished"):
        ab_table.run_record("b", str(runs))


def test_damaged_states_and_evaluations_are_one_line_errors_naming_the_file(tmp_path):
    runs, evals = tmp_path / "runs", tmp_path / "eval"
    _run(runs, "a")
    state = runs / "a" / "state" / "state.json"
    state.write_text('{"complete": true, "flags": {}}')
    with pytest.raises(SystemExit, match=r"--record a: .*state.json has no step, hours \(a damaged run state\)"):
        ab_table.run_record("a", str(runs))
    state.write_text('{"complete": tr')  # cut off mid-write
    with pytest.raises(SystemExit, match=r"error: .*state.json: cannot be read as JSON"):
        ab_table.run_record("a", str(runs))
    evals.mkdir()
    (evals / "a_s1.0.json").write_text("")
    with pytest.raises(SystemExit, match=r"error: .*a_s1.0.json: cannot be read as JSON"):
        ab_table.main(["--runs", str(runs), "--eval", str(evals)])


def test_record_reads_the_precision_the_run_computed_in(tmp_path):
    runs = tmp_path / "runs"
    _run(runs, "a", precision="auto", compute_precision="mixed_bfloat16",
         compute_precision_reason="mixed_bfloat16 (auto: the CPU has amx_bf16)")
    record = ab_table.run_record("a", str(runs))
    assert (record["precision"], record["precision_reason"]) == (
        "mixed_bfloat16", "mixed_bfloat16 (auto: the CPU has amx_bf16)")


def test_record_cli_keeps_a_record_of_the_same_run_and_refreshes_a_changed_one(tmp_path, capsys):
    runs, evals = tmp_path / "runs", tmp_path / "eval"
    _run(runs, "a")
    flags = ["--runs", str(runs), "--eval", str(evals), "--record", "a"]
    ab_table.main(flags)
    path = evals / "a.run.json"
    record = json.loads(path.read_text())
    path.write_text(json.dumps({**record, "cpu": "CPU: the machine that trained it"}))
    ab_table.main(flags)  # ab.sh rerun on a finished arm: the record stays
    assert "up to date" in capsys.readouterr().out
    assert json.loads(path.read_text())["cpu"] == "CPU: the machine that trained it"
    state = runs / "a" / "state" / "state.json"
    state.write_text(json.dumps({**json.loads(state.read_text()), "step": 200, "hours": 0.1}))  # --extend
    ab_table.main(flags)
    assert json.loads(path.read_text())["step"] == 200


def test_the_raw_weights_of_an_ema_arm_are_a_row_with_the_arms_run_record(tmp_path):
    runs, evals = tmp_path / "runs", tmp_path / "eval"
    _run(runs, "e")
    state = runs / "e" / "state" / "state.json"
    state.write_text(state.read_text().replace('"seed": 1', '"seed": 1, "ema": 0.995'))
    ab_table.write_record(ab_table.run_record("e", str(runs)), str(evals))
    _eval(evals / "e_s1.0.json", 0.36)
    _eval(evals / "e.raw_s1.0.json", 0.35)
    lines = ab_table.table(str(runs), str(evals))
    assert [line.split(" | ")[0] for line in lines[2:]] == ["| e", "| e.raw"]
    assert " ema 0.995, seed 1 | fp32 | 100 | 36.00 |" in lines[2]
    assert " ema 0.995 (not exported: the same run's raw weights), seed 1 | fp32 | 100 | 35.00 |" in lines[3]


def _ab_sh_commands():
    """{arm: the training flags models/camvid/ab/ab.sh runs it with} (variables filled in)."""
    import re
    import shlex

    from conftest import REPO

    text = (REPO / "models" / "camvid" / "ab" / "ab.sh").read_text()
    arms = dict(re.findall(r'^\s+\[(\w+)\]="([^"]*)"', text, re.M))
    order = re.search(r'^ORDER="([^"]*)"', text, re.M).group(1).split()
    assert set(order) <= set(arms)
    command = re.search(r"python -m training\.train (.*?)\$\{ARMS\[\$arm\]\}", text, re.S).group(1)
    epochs = re.search(r"^EPOCHS=\$\{EPOCHS:-(\d+)\}", text, re.M).group(1)
    for var, value in (("$DATA", "data"), ("$arm", "arm"), ("$EPOCHS", epochs), ("$PRECISION", "float32")):
        command = command.replace(var, value)
    common = shlex.split(command.replace("\\\n", " "))
    return {arm: common + flags.split() for arm, flags in arms.items()}


def test_every_ab_arm_is_a_valid_training_command_at_the_controls_compute():
    """Caught here, not 1.7 h into an arm: each arm's flags parse and pass the training's
    checks (the --ema decay forgets the initial weights), its seed is its name's, and it
    trains on as many pixels as the control (within 5%)."""
    from training import train, trainer

    configs = {arm: train.parse_args(argv) for arm, argv in _ab_sh_commands().items()}
    pixels = {arm: c.crop[0] * c.crop[1] * c.epochs * c.steps_per_epoch * c.batch_size for arm, c in configs.items()}
    for arm, c in configs.items():
        assert arm.endswith(f"_s{c.seed}"), arm
        trainer.check_ema(c.ema, c.epochs * c.steps_per_epoch)
        assert abs(pixels[arm] / pixels["control_s0"] - 1) < 0.05, (arm, pixels[arm] / pixels["control_s0"])
    assert configs["ema_s0"].ema and configs["crop352_s0"].crop == (352, 480)
