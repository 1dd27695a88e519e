"""tflite.quickstart: flags checked before anything is written (issue 23)."""
import pytest

from tflite import quickstart


def _main(*args):
    try:
        quickstart.main([str(a) for a in args])
    except SystemExit as exc:
        return str(exc.code)
    return None


@pytest.mark.parametrize("flags,expected", [
    (["--input-size", "33", "47"], "error: --input-size 33 47: input size must be positive multiples of 32, got 33x47"),
    (["--input-size", "0", "64"], "error: --input-size 0 64: input size must be positive multiples of 32"),
    (["--epochs", "0"], "error: --epochs 0: must be at least 1"),
    (["--qat-steps", "-1"], "error: --qat-steps -1: must be at least 1"),
    (["--threads", "0"], "error: --threads 0: must be at least 1"),
])
def test_bad_flags_are_refused_before_anything_is_written(tmp_path, monkeypatch, flags, expected):
    monkeypatch.setattr(quickstart.synthetic, "make_dataset", lambda *a, **k: pytest.fail("data written"))
    work = tmp_path / "work"
    message = _main("--work-dir", work, *flags)
    assert message.startswith(expected) and "\n" not in message
    assert not work.exists()


def test_work_dir_that_is_a_file_is_refused(tmp_path, monkeypatch):
    monkeypatch.setattr(quickstart.synthetic, "make_dataset", lambda *a, **k: pytest.fail("data written"))
    (tmp_path / "afile").write_text("keep")
    assert _main("--work-dir", tmp_path / "afile").startswith(f"error: --work-dir {tmp_path / 'afile'}: ")



def test_results_table_starts_with_the_cpu_line():
    from bisenetv2_tf.runtime.cpu import cpu_line
    from tflite.quickstart import table_header

    lines = table_header((128, 160), 2)
    assert lines[0].startswith(cpu_line()) and "cpu_check" in lines[0]
    assert lines[2].startswith("| model | val mIoU |") and "1x128x160, 2 threads" in lines[2]
