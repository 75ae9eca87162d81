"""Writing files safely: a temporary file in the same directory, then an atomic rename.

A crash, a full disk or a kill between the two steps leaves the original intact.
"""
from __future__ import annotations

import os
import stat
import tempfile
from typing import Optional, Union


def atomic_write(path: Union[str, "os.PathLike[str]"], data: Union[bytes, str],
                 mode: Optional[int] = None, durable: bool = True) -> None:
    """Replace ``path`` with ``data`` atomically, keeping the file's permissions.

    Raises OSError (with the path in the message) when the directory is not
    writable or the disk is full; the original file is then left unchanged.
    ``durable=False`` skips the fsync (about 5 ms a file here), for data that may be
    lost in a crash without harm, such as cache entries.
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
    fd, temp = tempfile.mkstemp(prefix=".concurlint-", suffix=".tmp", dir=directory)
    try:
        with os.fdopen(fd, "wb") as handle:
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
