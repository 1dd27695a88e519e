"""Output files that are either complete or absent, and output paths checked up front.

* ``atomic_path(path)``: a context manager yielding a temporary path in the same
  directory as ``path``; on success it is ``os.replace``'d onto ``path`` (atomic on
  POSIX), on error it is removed, so a crash or a kill never leaves a truncated
  ``path`` behind (an existing ``path`` stays as it was).
* ``check_writable_file(path, flag)`` / ``check_writable_dir(path, flag)``: called
  before minutes of work, they raise ``OutputPathError`` (a ``ValueError``) with a
  one-line message naming the flag when the output cannot be written.
"""
from __future__ import annotations

import contextlib
import os
import tempfile

__all__ = ["OutputPathError", "atomic_path", "atomic_write", "check_writable_file", "check_writable_dir"]


class OutputPathError(ValueError):
    """An output path that cannot be written; the message is one line naming the flag."""


def _label(path, flag):
    return f"{flag} {path}" if flag else str(path)


def _writable(path, dir_access=False):
    """``os.access`` plus the mode bits: root passes ``os.access`` on a chmod 0444/0555
    path, but a path with no write bit at all was made read-only on purpose."""
    import stat

    mode = os.W_OK | os.X_OK if dir_access else os.W_OK
    if not os.access(path, mode):
        return False
    return bool(os.stat(path).st_mode & (stat.S_IWUSR | stat.S_IWGRP | stat.S_IWOTH))


@contextlib.contextmanager
def atomic_path(path):
    """Yield a temp path beside ``path``; replace ``path`` with it on success.

    The temp name keeps ``path``'s extension (Keras and TFLite writers choose the format
    from it). Nothing is created until the caller writes the temp path. On any exception
    (including KeyboardInterrupt) the temp file is removed and ``path`` is untouched.
    """
    path = os.fspath(path)
    directory = os.path.dirname(os.path.abspath(path))
    base = os.path.basename(path)
    stem, ext = os.path.splitext(base)
    if stem.endswith(".tar"):  # keep double extensions such as .tar.gz intact
        stem, ext = stem[:-4], ".tar" + ext
    fd, tmp = tempfile.mkstemp(prefix=f".{stem}.", suffix=f".tmp{ext}", dir=directory)
    os.close(fd)
    os.remove(tmp)  # writers such as h5py/keras want to create the file themselves
    try:
        yield tmp
        if not os.path.exists(tmp):
            raise FileNotFoundError(f"{path}: nothing was written")
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            if os.path.isdir(tmp) and not os.path.islink(tmp):
                import shutil

                shutil.rmtree(tmp)
            else:
                os.remove(tmp)
        raise


def atomic_write(path, data, mode=None):
    """Write ``data`` (str or bytes; ``mode`` defaults to "wb" for bytes, else "w") to
    ``path`` atomically."""
    if mode is None:
        mode = "wb" if isinstance(data, (bytes, bytearray, memoryview)) else "w"
    with atomic_path(path) as tmp:
        with open(tmp, mode) as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())


def check_writable_file(path, flag=None, create_parent=False):
    """Raise ``OutputPathError`` unless ``path`` can be written as a file.

    Refused: ``path`` is a directory; its parent is missing (unless ``create_parent``:
    then the parent is created, if it can be), not a directory or not writable;
    ``path`` exists and is read-only. Otherwise creates nothing.
    """
    path = os.fspath(path)
    what = _label(path, flag)
    if not path:
        raise OutputPathError(f"{flag or 'output'}: empty path")
    if os.path.isdir(path):
        raise OutputPathError(f"{what}: is a directory, expected a file path")
    parent = os.path.dirname(os.path.abspath(path))
    if not os.path.exists(parent) and create_parent:
        try:
            check_writable_dir(parent, flag)
        except OutputPathError as err:
            raise OutputPathError(f"{what}: {str(err).split(': ', 1)[-1]}") from None
    if not os.path.exists(parent):
        raise OutputPathError(f"{what}: directory {parent} does not exist")
    if not os.path.isdir(parent):
        raise OutputPathError(f"{what}: {parent} is not a directory")
    if not _writable(parent, dir_access=True):
        raise OutputPathError(f"{what}: directory {parent} is not writable")
    if os.path.exists(path) and not _writable(path):
        raise OutputPathError(f"{what}: file exists and is read-only")
    return path


def check_writable_dir(path, flag=None, create=True):
    """Raise ``OutputPathError`` unless ``path`` is (or can be made) a writable directory.

    Refused: ``path`` is an existing file (or a file sits where a parent should be);
    ``path`` or its nearest existing parent is not writable. With ``create`` (default)
    the directory is created, so later writes cannot fail on a missing folder.
    """
    path = os.fspath(path)
    what = _label(path, flag)
    if not path:
        raise OutputPathError(f"{flag or 'output'}: empty path")
    if os.path.exists(path):
        if not os.path.isdir(path):
            raise OutputPathError(f"{what}: is an existing file, expected a directory")
        if not _writable(path, dir_access=True):
            raise OutputPathError(f"{what}: directory is not writable")
        return path
    parent = os.path.dirname(os.path.abspath(path))
    while not os.path.exists(parent):
        parent = os.path.dirname(parent)
    if not os.path.isdir(parent):
        raise OutputPathError(f"{what}: {parent} is a file, not a directory")
    if not _writable(parent, dir_access=True):
        raise OutputPathError(f"{what}: cannot create it, {parent} is not writable")
    if create:
        try:
            os.makedirs(path, exist_ok=True)
        except OSError as err:
            raise OutputPathError(f"{what}: cannot create directory ({err.strerror})") from None
    return path
