"""The A/B table reads each arm's run state and held-out evaluations."""
import json

from benchmarks import ab_table


def _eval(path, miou):
    per_class = {c: miou for c in ("Sky", *ab_table.THIN)}
    path.write_text(json.dumps({"miou": miou, "per_class_iou": per_class}))


def test_one_row_per_evaluated_arm(tmp_path):
    runs, evals = tmp_path / "runs", tmp_path / "eval"
    (runs / "a" / "state").mkdir(parents=True)
    evals.mkdir()
    (runs / "a" / "state" / "state.json").write_text(json.dumps(
        {"step": 100, "hours": 0.05, "flags": {"seed": 1, "aux_resolution": "own"}}))
    _eval(evals / "a_s1.0.json", 0.35)
    _eval(evals / "a_s1.5.json", 0.4)
    _eval(evals / "b_s1.5.json", 0.1)  # no scale-1.0 score yet: no row
    lines = ab_table.table(str(runs), str(evals))
    assert len(lines) == 3
    assert lines[2] == "| a | aux_resolution own, seed 1 | 100 | 35.00 | 40.00 | 35.0 | 35.0 | 35.0 | 35.0 | 35.0 | 1.80 |"
