"""Writing files safely: a temporary file in the same directory, then an atomic rename.

A crash, a full disk or a kill between the two steps leaves the original intact.
Rewriting a user's file (:func:`rewrite_file`, for ``--fix``) also keeps its owner and
group, its hard links, and works in a read-only directory.
"""
from __future__ import annotations

import io
import os
import stat
import tempfile
from typing import Optional, Tuple, Union


def atomic_write(path: Union[str, "os.PathLike[str]"], data: Union[bytes, str],
                 mode: Optional[int] = None, durable: bool = True,
                 owner: Optional[Tuple[int, int]] = None) -> None:
    """Replace ``path`` with ``data`` atomically, keeping the file's permissions.

    Raises OSError (with the path in the message) when the directory is not
    writable or the disk is full; the original file is then left unchanged.
    ``durable=False`` skips the fsync (about 5 ms a file here), for data that may be
    lost in a crash without harm, such as cache entries. ``owner`` (uid, gid) is given
    to the new file; when that is not allowed, or the directory takes no new file,
    ``_KeepInPlace`` is raised and nothing is changed (:func:`rewrite_file` handles it).
    """
    path = os.fspath(path)
    payload = data.encode("utf-8") if isinstance(data, str) else data
    directory = os.path.dirname(os.path.abspath(path))
    if mode is None:
        try:
            mode = stat.S_IMODE(os.stat(path).st_mode)
        except FileNotFoundError:
            umask = os.umask(0)
            os.umask(umask)
            mode = 0o666 & ~umask
    try:
        fd, temp = tempfile.mkstemp(prefix=".concurlint-", suffix=".tmp", dir=directory)
    except PermissionError:
        if owner is None:
            raise
        raise _KeepInPlace() from None  # a read-only directory: the file itself may be writable
    try:
        with os.fdopen(fd, "wb") as handle:
            made = os.fstat(handle.fileno())
            if owner is not None and (made.st_uid, made.st_gid) != owner:
                try:
                    os.fchown(handle.fileno(), *owner)
                except PermissionError:
                    raise _KeepInPlace() from None
            handle.write(payload)
            if durable:
                handle.flush()
                os.fsync(handle.fileno())
        os.chmod(temp, mode)
        os.replace(temp, path)
    except BaseException:
        try:
            os.unlink(temp)
        except OSError:
            pass
        raise


def rewrite_file(path: Union[str, "os.PathLike[str]"], data: bytes) -> None:
    """Give the existing file ``path`` the content ``data``, keeping what identifies it.

    Normally the new content goes in by :func:`atomic_write`, with the file's owner and
    group put back on the new file (a hook run as root must not hand files to root). The
    file is rewritten in place instead, so it stays the same file, when a rename would
    change it: it has other hard links, its owner cannot be put back, or its directory
    is read-only. In place, the original bytes are first copied to a backup in the
    system's temporary folder (removed afterwards) and written back if the write fails,
    so a failure still leaves the original.
    """
    path = os.fspath(path)
    info = os.stat(path)
    if info.st_nlink == 1:
        try:
            atomic_write(path, data, owner=(info.st_uid, info.st_gid))
            return
        except _KeepInPlace:
            pass
    _rewrite_in_place(path, data)


class _KeepInPlace(Exception):
    """A rename would change the file's identity (owner, directory): write in place."""


def _rewrite_in_place(path: str, data: bytes) -> None:
    with open(path, "r+b") as handle:
        original = handle.read()
        fd, backup = tempfile.mkstemp(prefix=".concurlint-backup-", suffix=".py")
        try:
            with os.fdopen(fd, "wb") as saved:
                saved.write(original)
                saved.flush()
                os.fsync(saved.fileno())
            try:
                _overwrite(handle, data)
            except BaseException:
                _overwrite(handle, original)
                raise
        finally:
            os.unlink(backup)


def _overwrite(handle: "io.BufferedRandom", data: bytes) -> None:
    handle.seek(0)
    handle.write(data)
    handle.truncate()
    handle.flush()
    os.fsync(handle.fileno())
