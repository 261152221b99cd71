"""Safe appends under ``FOOTFALL_LOG_DIR`` for ``log_to_file``.

A path is relative, has no ``..`` or empty parts, and is opened component by component
from the log directory with ``O_NOFOLLOW`` (``openat``), so that no symbolic link — in
the file name or in any directory on the way, even one swapped in concurrently — can
lead outside the directory. Missing directories under the log directory are created.
Each line is written with one ``write`` on an ``O_APPEND`` descriptor under an
exclusive ``flock``, so that lines of concurrent workers (threads or processes) never
interleave.
"""

from __future__ import annotations

import contextlib
import errno
import fcntl
import os
from pathlib import Path

from footfall.worker.errors import TransientActionError, UnsafePathError

__all__ = ["append_line", "check_relative_path", "one_line"]

_DIR_FLAGS = os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW | os.O_CLOEXEC
_FILE_FLAGS = os.O_WRONLY | os.O_APPEND | os.O_CREAT | os.O_NOFOLLOW | os.O_CLOEXEC
_MAX_PATH = 1024


def check_relative_path(file: object) -> tuple[str, ...]:
    """The components of a log path, or UnsafePathError saying why it is refused."""
    if not isinstance(file, str) or not file.strip():
        raise UnsafePathError("log_to_file: 'file' must be a non-empty relative path")
    if len(file) > _MAX_PATH or "\x00" in file:
        raise UnsafePathError("log_to_file: 'file' is too long or contains a NUL byte")
    if file.startswith(("/", "\\")) or (len(file) > 1 and file[1] == ":"):
        raise UnsafePathError(f"log_to_file: refused absolute path {file!r}")
    parts = tuple(file.split("/"))
    if not parts or any(part in ("..", ".", "") for part in parts):
        raise UnsafePathError(f"log_to_file: refused path {file!r} (no '..' or '.' parts)")
    if "\\" in file:
        raise UnsafePathError(f"log_to_file: refused path {file!r} (no backslashes)")
    return tuple(parts)


def one_line(text: str) -> str:
    """The text as a single line: CR and LF become spaces; a newline is appended."""
    return text.replace("\r\n", " ").replace("\r", " ").replace("\n", " ") + "\n"


def append_line(root: Path, file: str, line: str) -> None:
    """Append ``line`` (already one line, ending in a newline) to ``root/file``. Blocking."""
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
        fcntl.flock(fd, fcntl.LOCK_EX)
        try:
            written = os.write(fd, data)
            if written != len(data):
                raise TransientActionError(f"log_to_file: short write to {file!r}")
        finally:
            fcntl.flock(fd, fcntl.LOCK_UN)
    except OSError as exc:
        raise TransientActionError(f"log_to_file: cannot write {file!r}: {exc}") from None
    finally:
        os.close(fd)


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
    if exc.errno in (errno.ELOOP, errno.ENOTDIR, errno.EISDIR):
        return UnsafePathError(
            f"log_to_file: refused path {file!r}: a symbolic link or non-directory is in the way"
        )
    if exc.errno in (errno.EACCES, errno.EPERM, errno.EROFS):
        return UnsafePathError(f"log_to_file: cannot write {file!r}: {exc.strerror}")
    return TransientActionError(f"log_to_file: cannot open {file!r}: {exc.strerror}")
