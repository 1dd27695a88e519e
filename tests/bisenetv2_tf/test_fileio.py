"""bisenetv2_tf.fileio: atomic outputs and up-front output-path checks."""
import os

import pytest

from bisenetv2_tf.fileio import (
    OutputPathError,
    atomic_path,
    atomic_write,
    check_writable_dir,
    check_writable_file,
)


def test_atomic_path_replaces_on_success_keeps_extension(tmp_path):
    target = tmp_path / "model.keras"
    target.write_text("old")
    with atomic_path(target) as tmp:
        assert os.path.dirname(tmp) == str(tmp_path)
        assert tmp.endswith(".keras") and tmp != str(target)
        with open(tmp, "w") as f:
            f.write("new")
        assert target.read_text() == "old"  # not replaced before the block ends
    assert target.read_text() == "new"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["model.keras"]


def test_atomic_path_error_leaves_old_file_and_no_temp(tmp_path):
    target = tmp_path / "out.json"
    target.write_text("old")
    with pytest.raises(RuntimeError, match="boom"):
        with atomic_path(target) as tmp:
            with open(tmp, "w") as f:
                f.write("half")
            raise RuntimeError("boom")
    assert target.read_text() == "old"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out.json"]


def test_atomic_path_error_creates_nothing_when_absent(tmp_path):
    with pytest.raises(KeyboardInterrupt):
        with atomic_path(tmp_path / "new.tflite") as tmp:
            open(tmp, "wb").close()
            raise KeyboardInterrupt
    assert list(tmp_path.iterdir()) == []


def test_atomic_path_nothing_written_is_an_error(tmp_path):
    with pytest.raises(FileNotFoundError, match="nothing was written"):
        with atomic_path(tmp_path / "x.npz"):
            pass
    assert list(tmp_path.iterdir()) == []


def test_atomic_write_text_and_bytes(tmp_path):
    atomic_write(tmp_path / "a.txt", "hello")
    atomic_write(tmp_path / "b.bin", b"\x00\x01", mode="wb")
    atomic_write(tmp_path / "c.bin", b"\x02")  # bytes: binary mode by default
    assert (tmp_path / "a.txt").read_text() == "hello"
    assert (tmp_path / "b.bin").read_bytes() == b"\x00\x01"
    assert (tmp_path / "c.bin").read_bytes() == b"\x02"


def test_check_writable_file(tmp_path):
    assert check_writable_file(tmp_path / "ok.json", "--json") == str(tmp_path / "ok.json")
    with pytest.raises(OutputPathError, match=r"^--json .*: is a directory"):
        check_writable_file(tmp_path, "--json")
    with pytest.raises(OutputPathError, match=r"^--out .*does not exist"):
        check_writable_file(tmp_path / "missing" / "x.tflite", "--out")
    afile = tmp_path / "afile"
    afile.write_text("")
    with pytest.raises(OutputPathError, match="is not a directory"):
        check_writable_file(afile / "x.json", "--json")
    ro = tmp_path / "ro.json"
    ro.write_text("{}")
    ro.chmod(0o444)
    with pytest.raises(OutputPathError, match="read-only"):
        check_writable_file(ro, "--json")
    rodir = tmp_path / "rodir"
    rodir.mkdir()
    rodir.chmod(0o555)
    try:
        with pytest.raises(OutputPathError, match="not writable"):
            check_writable_file(rodir / "x.json", "--json")
    finally:
        rodir.chmod(0o755)
    assert not (tmp_path / "ok.json").exists()  # the check creates nothing
    assert check_writable_file(tmp_path / "new" / "sub" / "x.keras", "--out", create_parent=True)
    assert (tmp_path / "new" / "sub").is_dir() and not (tmp_path / "new" / "sub" / "x.keras").exists()
    with pytest.raises(OutputPathError, match=r"^--out .*afile/sub/x.keras: .*is a file, not a directory"):
        check_writable_file(afile / "sub" / "x.keras", "--out", create_parent=True)


def test_check_writable_dir(tmp_path):
    new = tmp_path / "a" / "b"
    assert check_writable_dir(new, "--out-dir") == str(new)
    assert new.is_dir()
    afile = tmp_path / "afile"
    afile.write_text("")
    with pytest.raises(OutputPathError, match=r"^--out-dir .*existing file"):
        check_writable_dir(afile, "--out-dir")
    with pytest.raises(OutputPathError, match="is a file, not a directory"):
        check_writable_dir(afile / "sub", "--out-dir")
    rodir = tmp_path / "rodir"
    rodir.mkdir()
    rodir.chmod(0o555)
    try:
        with pytest.raises(OutputPathError, match="not writable"):
            check_writable_dir(rodir, "--out-dir")
        with pytest.raises(OutputPathError, match="not writable"):
            check_writable_dir(rodir / "sub", "--out-dir")
    finally:
        rodir.chmod(0o755)
    assert issubclass(OutputPathError, ValueError)
