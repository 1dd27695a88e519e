"""TrainConfig: one typed, checked config; its fields are the train CLI's flags, and its
metadata (spelling, run-defining, old-run default) drives resume."""
import dataclasses

import pytest

from training import config, train
from training.config import TrainConfig

BASE = ["--data-dir", "d", "--out-dir", "o"]


def test_parser_gives_a_checked_config_with_the_config_defaults():
    got = train.parse_args(BASE)
    assert isinstance(got, TrainConfig)
    assert got == TrainConfig(data_dir="d", out_dir="o")
    assert got.crop == (256, 320) and got.scale_range == (0.75, 2.0)
    with pytest.raises(dataclasses.FrozenInstanceError):
        got.epochs = 3


def test_every_field_is_a_flag_spelt_as_its_metadata_says():
    """Passing each field's flag (as ``spelling`` writes it) with its default parses back to it."""
    for f in dataclasses.fields(TrainConfig):
        flag = config.spelling(f.name)
        value = f.default
        if isinstance(value, bool):
            argv = [flag] if not value else []
        elif f.name in ("data_dir", "out_dir"):
            continue
        elif isinstance(value, tuple):
            argv = [flag, *map(str, value)]
        elif value is None:
            continue
        else:
            argv = [flag, str(value)]
        parsed = train.parse_args(BASE + argv + (["--init-weights", "w.keras"] if f.name == "qat" else []))
        assert getattr(parsed, f.name) == (True if isinstance(value, bool) else value), f.name
    assert config.spelling("model") == "--arch" and config.spelling("qat_calibration") == "--num-calibration"
    assert train.parse_args(BASE + ["--arch", "bisenetv1"]).model == "bisenetv1"


def test_defaults_agree_with_the_augmentation_defaults():
    from bisenetv2_tf.data.pipeline import AugmentConfig

    aug = AugmentConfig()
    assert config.default("crop") == aug.crop_size and config.default("scale_range") == aug.scale_range
    assert config.default("color_jitter") == aug.brightness == aug.contrast == aug.saturation


@pytest.mark.parametrize("changes,message", [
    ({"crop": (250, 320)}, "--crop must be positive multiples of 32, got 250 320"),
    ({"scale_range": (2.0, 1.0)}, "--scale-range must be 0 < MIN <= MAX"),
    ({"qat_calibration": 0}, "--num-calibration must be >= 1, got 0"),
    ({"lr": float("inf")}, "--lr must be a finite number > 0"),
    ({"ema": 1.0}, "--ema must be in [0, 1)"),
    ({"qat": True}, "--qat fine-tunes a trained model: pass --init-weights"),
    ({"extend": True, "restart": True}, "--extend and --restart exclude each other"),
    ({"protocol": "drive-holdout", "val_split": "test"}, "--protocol drive-holdout sets the training"),
])
def test_a_bad_value_is_one_line_naming_the_flag_in_code_and_on_the_command_line(changes, message, capsys):
    with pytest.raises(ValueError, match="^" + message.replace("[", r"\[").replace("(", r"\(").replace(")", r"\)")
                       .replace("+", r"\+")):
        TrainConfig(data_dir="d", out_dir="o", **changes)
    argv = []
    for name, value in changes.items():
        flag = config.spelling(name)
        argv += [flag] if value is True else [flag, *map(str, value if isinstance(value, tuple) else [value])]
    with pytest.raises(SystemExit) as done:
        train.parse_args(BASE + argv)
    assert done.value.code == 2 and message in capsys.readouterr().err


def test_run_flags_are_the_run_defining_fields_and_old_runs_read_with_their_defaults():
    assert set(config.RUN_FLAGS) == {
        "model", "dataset", "train_split", "class_file", "crop", "scale_range", "batch_size", "epochs",
        "steps_per_epoch", "lr", "warmup_steps", "weight_decay", "momentum", "ohem_thresh", "aux_weight", "seed",
        "qat", "init_weights", "qat_calibration", "class_weights", "protocol", "aux_resolution", "color_jitter",
        "ema"}
    assert config.OLD_RUN_DEFAULTS == {"protocol": None, "color_jitter": 0.4, "ema": 0.0, "aux_resolution": "full",
                                      "class_weights": "none"}
    cfg = TrainConfig(data_dir="d", out_dir="o", epochs=10)
    flags = cfg.run_flags(steps_per_epoch=5, seed=3)
    assert flags["crop"] == [256, 320] and flags["seed"] == 3 and flags["steps_per_epoch"] == 5
    old = {k: v for k, v in flags.items() if k not in config.OLD_RUN_DEFAULTS}  # a state from before them
    assert config.differing_flags(flags, old) == []
    assert config.differing_flags(TrainConfig(data_dir="d", out_dir="o", epochs=10, ema=0.99).run_flags(5, 3),
                                  old) == ["ema"]
    more = TrainConfig(data_dir="d", out_dir="o", epochs=20).run_flags(5, 3)
    assert config.differing_flags(more, flags) == ["epochs"]
    assert config.differing_flags(more, flags, extending=True) == []


def test_to_json_has_every_field_with_json_types():
    data = TrainConfig(data_dir="d", out_dir="o").to_json()
    assert set(data) == {f.name for f in dataclasses.fields(TrainConfig)}
    assert data["crop"] == [256, 320]
