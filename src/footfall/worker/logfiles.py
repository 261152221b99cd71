"""Safe appends under ``FOOTFALL_LOG_DIR`` for ``log_to_file``.

Which paths are valid is decided by :func:`footfall.logpaths.log_path_problem`, the
function the rule validator uses too. A valid path is opened component by component
from a descriptor of the log directory (``openat``) with ``O_NOFOLLOW``, so that no
symbolic link — in the file name or in any directory on the way, even one swapped in
concurrently — can lead outside the directory. The file is opened with ``O_NONBLOCK``
(a FIFO without a reader fails at once instead of blocking a thread) and checked with
``fstat`` on the open descriptor: it must be a regular file with one link (a hard link
to a file elsewhere is refused). Missing directories under the log directory are
created. Each line is written with one ``write`` on an ``O_APPEND`` descriptor under an
exclusive ``flock``, so that lines of concurrent workers (threads or processes) never
interleave; waiting for the lock is bounded.
"""

from __future__ import annotations

import contextlib
import errno
import fcntl
import os
import stat
import time
from pathlib import Path

from footfall.logpaths import log_path_parts, log_path_problem
from footfall.worker.errors import TransientActionError, UnsafePathError

__all__ = ["LOCK_TIMEOUT", "append_line", "check_relative_path", "one_line"]

_DIR_FLAGS = os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW | os.O_CLOEXEC
_FILE_FLAGS = (
    os.O_WRONLY | os.O_APPEND | os.O_CREAT | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_NOCTTY
) | os.O_CLOEXEC
#: seconds a write waits for another writer's lock before it is retried later
LOCK_TIMEOUT = 5.0
# errors of a path that trying again will not fix
_PERMANENT = {
    errno.ELOOP: "a symbolic link is in the way",
    errno.ENOTDIR: "a part of it is not a directory",
    errno.EISDIR: "it is a directory",
    errno.ENXIO: "it is not a regular file (a FIFO or device)",
    errno.ENAMETOOLONG: "the name is too long for the file system",
    errno.EACCES: "permission denied",
    errno.EPERM: "operation not permitted",
    errno.EROFS: "the file system is read-only",
    errno.EINVAL: "the file system does not accept this name",
    errno.EILSEQ: "the file system does not accept this name",
}


def check_relative_path(file: object) -> tuple[str, ...]:
    """The components of a log path, or UnsafePathError saying why it is refused."""
    problem = log_path_problem(file)
    if problem is not None:
        raise UnsafePathError(f"log_to_file: params.file: {problem}")
    assert isinstance(file, str)
    return log_path_parts(file)


def one_line(text: str) -> str:
    """The text as a single line: CR and LF become spaces; a newline is appended."""
    return text.replace("\r\n", " ").replace("\r", " ").replace("\n", " ") + "\n"


def append_line(root: Path, file: str, line: str, lock_timeout: float = LOCK_TIMEOUT) -> None:
    """Append ``line`` (already one line, ending in a newline) to ``root/file``. Blocking,
    but never for long: no open, lock or write here waits without bound."""
    parts = check_relative_path(file)
    data = line.encode("utf-8")
    try:
        root.mkdir(parents=True, exist_ok=True)
        dir_fd = os.open(root, os.O_RDONLY | os.O_DIRECTORY | os.O_CLOEXEC)
    except OSError as exc:
        raise TransientActionError(f"log_to_file: cannot open the log directory: {exc}") from None
    try:
        for part in parts[:-1]:
            child = _enter(dir_fd, part, file)
            os.close(dir_fd)
            dir_fd = child
        try:
            fd = os.open(parts[-1], _FILE_FLAGS, 0o640, dir_fd=dir_fd)
        except OSError as exc:
            raise _refusal(exc, file) from None
    finally:
        os.close(dir_fd)
    try:
        _check_file(fd, file)
        _lock(fd, file, lock_timeout)
        try:
            written = os.write(fd, data)
            if written != len(data):
                raise TransientActionError(f"log_to_file: short write to {file!r}")
        finally:
            fcntl.flock(fd, fcntl.LOCK_UN)
    except OSError as exc:
        raise TransientActionError(f"log_to_file: cannot write {file!r}: {exc.strerror}") from None
    finally:
        os.close(fd)


def _check_file(fd: int, file: str) -> None:
    """Refuse anything but a regular file that has no other name (hard link)."""
    info = os.fstat(fd)
    if not stat.S_ISREG(info.st_mode):
        raise UnsafePathError(f"log_to_file: refused {file!r}: it is not a regular file")
    if info.st_nlink != 1:
        raise UnsafePathError(
            f"log_to_file: refused {file!r}: it has {info.st_nlink} hard links "
            "(it may be a file outside the log directory)"
        )


def _lock(fd: int, file: str, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    pause = 0.001
    while True:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            if time.monotonic() >= deadline:
                raise TransientActionError(
                    f"log_to_file: {file!r} stayed locked by another writer for {timeout:g}s"
                ) from None
            time.sleep(pause)
            pause = min(pause * 2, 0.05)
        else:
            return


def _enter(dir_fd: int, part: str, file: str) -> int:
    try:
        try:
            child = os.open(part, _DIR_FLAGS, dir_fd=dir_fd)
        except FileNotFoundError:
            with contextlib.suppress(FileExistsError):
                os.mkdir(part, 0o750, dir_fd=dir_fd)
            child = os.open(part, _DIR_FLAGS, dir_fd=dir_fd)
    except OSError as exc:
        raise _refusal(exc, file) from None
    return child


def _refusal(exc: OSError, file: str) -> Exception:
    reason = _PERMANENT.get(exc.errno or 0)
    if reason is not None:
        return UnsafePathError(f"log_to_file: refused {file!r}: {reason}")
    return TransientActionError(f"log_to_file: cannot open {file!r}: {exc.strerror}")
