"""model_card: the schedule from train_args + state, one IoU column per artifact with its
difference to the first, the val rows of the log."""
import json

import pytest

from training import model_card


def _eval(path, model, miou, sky):
    path.write_text(json.dumps({"model": model, "split": "val", "num_images": 3, "miou": miou,
                                "pixel_accuracy": 0.9, "per_class_iou": {"Sky": sky, "Pole": None}}))
    return str(path)


def test_card_from_run_state_and_two_evals(tmp_path):
    run = tmp_path / "run"
    (run / "state").mkdir(parents=True)
    (run / "train_args.json").write_text(json.dumps({
        "model": "bisenetv2", "num_classes": 2, "data_dir": "D", "train_split": "train", "val_split": "val",
        "ignore_index": 11, "steps_per_epoch": 45, "batch_size": 8, "crop": [256, 320], "scale_range": [0.75, 2.0],
        "seed": 0, "momentum": 0.9, "weight_decay": 5e-4, "lr": None, "warmup_steps": 1000, "ohem_thresh": 0.7,
        "aux_weight": 1.0, "val_every": 10, "export": "last"}))
    (run / "log.csv").write_text("epoch,aux2_loss,logits_miou,loss,val_logits_miou\n0,1,0.1,9.5,NA\n"
                                 "1,1,0.2,8.25,0.3\n")
    (run / "state" / "state.json").write_text(json.dumps({"epoch": 2, "step": 90, "hours": 1.5}))
    evals = [_eval(tmp_path / "a.json", "m/bisenetv2.keras", 0.6, 0.9),
             _eval(tmp_path / "b.json", "m/bisenetv2_int8_qat.tflite", 0.5975, 0.89)]
    out = tmp_path / "card" / "MODEL_CARD.md"
    model_card.main(["--run", str(run), "--eval", *evals, "--command", "python -m training.train ...",
                     "--precision", "mixed_bfloat16", "--cpu", "CPU: test", "--out", str(out)])
    text = out.read_text()
    assert "2 epochs x 45 steps = 90 steps of batch 8 (720 crops)" in text
    assert "LR 0.025 poly 0.9 after 1000 warmup steps" in text and "1 aux heads" in text
    assert "1.50 h of training" in text and "- CPU: test" in text and "mixed_bfloat16" in text
    assert "| Sky | 90.00 | 89.00 |" in text and "| Pole | n/a | n/a |" in text
    assert "| mIoU − column 1 |  | -0.25 |" in text
    assert "| 2 | 8.250 | 20.00 | 30.00 |" in text and "| 1 |" not in text
    assert "monitoring only" in text


def test_card_of_a_protocol_run_says_which_frames_each_table_is(tmp_path):
    run = tmp_path / "run"
    run.mkdir()
    (run / "train_args.json").write_text(json.dumps({
        "model": "bisenetv2", "num_classes": 2, "data_dir": "D", "train_split": "train", "val_split": "val",
        "protocol": "drive-holdout", "ignore_index": 11, "steps_per_epoch": 45, "batch_size": 8,
        "crop": [256, 320], "scale_range": [0.75, 2.0], "seed": 0, "momentum": 0.9, "weight_decay": 5e-4,
        "lr": 0.01, "warmup_steps": 0, "ohem_thresh": 0.7, "aux_weight": 1.0, "val_every": 1, "export": "last"}))
    (run / "log.csv").write_text("epoch,logits_miou,loss,val_logits_miou\n0,0.2,8.25,0.3\n")
    held = tmp_path / "held.json"
    held.write_text(json.dumps({"model": "m/bisenetv2.keras", "split": "protocol drive-holdout",
                                "protocol": "drive-holdout", "num_images": 101, "miou": 0.4, "pixel_accuracy": 0.8,
                                "per_class_iou": {"Sky": 0.9}}))
    val = _eval(tmp_path / "val.json", "m/bisenetv2.keras", 0.8, 0.95)
    out = tmp_path / "MODEL_CARD.md"
    model_card.main(["--run", str(run), "--eval", str(held), "--also-eval", val, "--command", "c", "--out", str(out)])
    text = out.read_text()
    assert "`--protocol drive-holdout`: train on CamVid train+val minus drive 0006R0" in text
    assert "## On the held-out drive 0006R0 (`--protocol drive-holdout`, 101 images the model never" in text
    assert "## On split val (3 images, training frames of this run" in text
    assert text.index("| Sky | 90.00 |") < text.index("| Sky | 95.00 |")
    assert "| epoch | loss | train mIoU | held-out 0006R0 mIoU |" in text and "| 1 | 8.250 | 20.00 | 30.00 |" in text

    (run / "train_args.json").write_text(json.dumps({"protocol": "other"}))
    with pytest.raises(SystemExit, match="error: unknown protocol 'other'"):
        model_card.main(["--run", str(run), "--eval", str(held), "--command", "c", "--out", str(tmp_path / "x.md")])
    assert not (tmp_path / "x.md").exists()
