"""model_card: the schedule from train_args + state, one IoU column per artifact with its
difference to the first, the val rows of the log."""
import json

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
