"""What a valid ``log_to_file`` path is — one definition for the rule validator and the worker.

A log path names a file inside the log directory (``FOOTFALL_LOG_DIR``): parts separated
by ``/``, each a plain name. Refused, with a message saying why:

- anything but a non-empty string, or one that is only white space;
- control characters (C0, DEL, NEL, U+2028/2029 — a newline or NUL among them) or text
  that is not valid Unicode;
- absolute paths: a leading ``/``, ``\\`` or ``~``, or a drive letter (``C:``);
- backslashes anywhere;
- ``..`` parts (leaving the directory), and ``.`` or empty parts (``./x``, ``a//x``,
  ``a/``: write the path without them);
- a part longer than 255 bytes (UTF-8) or a path longer than 1,024 bytes.

The worker opens what passes component by component under the log directory, so a
symbolic link, hard link or special file found there is refused at write time
(:mod:`footfall.worker.logfiles`).
"""

from __future__ import annotations

import re

__all__ = ["MAX_NAME_BYTES", "MAX_PATH_BYTES", "log_path_parts", "log_path_problem"]

MAX_NAME_BYTES = 255
MAX_PATH_BYTES = 1024

_CONTROL = re.compile("[\x00-\x1f\x7f-\x9f\u2028\u2029]")
_DRIVE = re.compile(r"[A-Za-z]:")


def log_path_problem(file: object) -> str | None:
    """Why ``file`` is not a valid log path, or None when it is."""
    if not isinstance(file, str):
        return f"expected a relative file path inside the log directory, got {_kind(file)}"
    if not file.strip():
        return f"expected a relative file path inside the log directory, got {_show(file)}"
    if _CONTROL.search(file):
        return (
            f"a log file path cannot contain control characters or line breaks, got {_show(file)}"
        )
    try:
        size = len(file.encode("utf-8"))
    except UnicodeEncodeError:
        return f"a log file path must be valid Unicode text, got {_show(file)}"
    if file.startswith(("/", "\\", "~")) or _DRIVE.match(file):
        return f"the log file must be a path relative to the log directory, got {_show(file)}"
    if "\\" in file:
        return f"a log file path separates its parts with '/', not '\\', got {_show(file)}"
    parts = file.split("/")
    if ".." in parts:
        return f"the log file path cannot leave the log directory ('..'), got {_show(file)}"
    if "" in parts or "." in parts:
        clean = "/".join(p for p in parts if p not in ("", "."))
        hint = f"; write {clean!r}" if clean else ""
        return f"the log file path has an empty or '.' part, got {_show(file)}{hint}"
    if size > MAX_PATH_BYTES:
        return f"the log file path is longer than {MAX_PATH_BYTES} bytes ({size})"
    for part in parts:
        if len(part.encode("utf-8")) > MAX_NAME_BYTES:
            return (
                f"a part of the log file path is longer than {MAX_NAME_BYTES} bytes: {_show(part)}"
            )
    return None


def log_path_parts(file: str) -> tuple[str, ...]:
    """The parts of a path that :func:`log_path_problem` accepted."""
    return tuple(file.split("/"))


def _show(text: str, limit: int = 60) -> str:
    shown = repr(text)
    return shown if len(shown) <= limit else shown[: limit - 3] + "..."


def _kind(value: object) -> str:
    if value is None:
        return "null"
    names = {bool: "boolean", int: "number", float: "number", list: "list", dict: "mapping"}
    return "a " + names.get(type(value), type(value).__name__)
