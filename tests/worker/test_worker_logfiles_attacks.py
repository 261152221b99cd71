"""``log_to_file`` against paths and files meant to write outside the log directory or to
block a worker: run through the real action, with a canary file outside the directory."""

from __future__ import annotations

import asyncio
import contextlib
import fcntl
import os
import stat
import threading
import time
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from pathlib import Path

import pytest

from footfall.settings import Settings
from footfall.worker.actions import ACTIONS
from footfall.worker.command import command_from_dict
from footfall.worker.context import ActionContext
from footfall.worker.errors import ActionError, TransientActionError, UnsafePathError
from footfall.worker.http import make_session
from footfall.worker.logfiles import append_line
from footfall.worker.netguard import Allowlist
from footfall.worker.testing import RecordingMailer, RecordingPublisher, build_command

CANARY = "canary: must never change\n"
DEADLINE = 15.0  # seconds; the action's own write timeout is shorter


@dataclass
class Setup:
    root: Path
    outside: Path
    canary: Path
    ctx: ActionContext

    def outside_state(self) -> dict[str, bytes]:
        return {
            str(p.relative_to(self.outside)): p.read_bytes()
            for p in sorted(self.outside.rglob("*"))
            if p.is_file() and not p.is_symlink()
        }


@pytest.fixture
async def setup(tmp_path: Path) -> AsyncIterator[Setup]:
    outside = tmp_path / "outside"
    outside.mkdir()
    canary = outside / "canary.txt"
    canary.write_text(CANARY)
    root = tmp_path / "logs"
    root.mkdir()
    allow = Allowlist.parse([])
    session = make_session(allow)
    ctx = ActionContext(
        settings=Settings(log_dir=root),
        http=session,
        allowlist=allow,
        mailer=RecordingMailer(),
        publish=RecordingPublisher(),
    )
    yield Setup(root, outside, canary, ctx)
    # a writer stuck on a FIFO (the old behaviour) is released, so the test run can end
    for fifo in root.rglob("*"):
        if stat.S_ISFIFO(fifo.lstat().st_mode):
            with contextlib.suppress(OSError):
                os.close(os.open(fifo, os.O_RDONLY | os.O_NONBLOCK))
    await session.close()


async def log(s: Setup, file: str) -> tuple[ActionError | None, float]:
    """Run the action; (its error or None, seconds it took)."""
    command = command_from_dict(build_command("log_to_file", {"file": file, "line": "attack"}))
    started = time.monotonic()
    try:
        async with asyncio.timeout(DEADLINE):
            await ACTIONS["log_to_file"](command, s.ctx)
    except ActionError as exc:
        return exc, time.monotonic() - started
    return None, time.monotonic() - started


def _symlinked_file(s: Setup) -> str:
    (s.root / "evil.log").symlink_to(s.canary)
    return "evil.log"


def _symlinked_parent(s: Setup) -> str:
    (s.root / "sub").symlink_to(s.outside, target_is_directory=True)
    return "sub/canary.txt"


def _symlinked_deep_parent(s: Setup) -> str:
    (s.root / "a").mkdir()
    (s.root / "a" / "b").symlink_to(s.outside, target_is_directory=True)
    return "a/b/new.log"


def _hard_link(s: Setup) -> str:
    os.link(s.canary, s.root / "hard.log")
    return "hard.log"


def _fifo(s: Setup) -> str:
    os.mkfifo(s.root / "pipe.log")
    return "pipe.log"


def _directory(s: Setup) -> str:
    (s.root / "dir.log").mkdir()
    return "dir.log"


def _file_as_parent(s: Setup) -> str:
    (s.root / "plain").write_text("")
    return "plain/x.log"


def _absolute(s: Setup) -> str:
    return str(s.canary)


ATTACKS: dict[str, Callable[[Setup], str]] = {
    "dot-dot": lambda s: "../outside/canary.txt",
    "dot-dot deeper": lambda s: "a/../../outside/canary.txt",
    "absolute": _absolute,
    "home": lambda s: "~/x.log",
    "backslash dot-dot": lambda s: "..\\outside\\canary.txt",
    "symlinked file": _symlinked_file,
    "symlinked parent": _symlinked_parent,
    "symlinked deeper parent": _symlinked_deep_parent,
    "hard link": _hard_link,
    "fifo": _fifo,
    "directory": _directory,
    "file as parent": _file_as_parent,
    "NUL": lambda s: "x\x00.log",
    "newline": lambda s: "x\n.log",
    "component > 255 bytes": lambda s: "a" * 300,
    "component > 255 bytes (UTF-8)": lambda s: "ü" * 128,
    "total > PATH_MAX": lambda s: "/".join(["d" * 200] * 25),
    "empty part": lambda s: "a//x.log",
    "dot part": lambda s: "./x.log",
}


@pytest.mark.parametrize("attack", list(ATTACKS))
async def test_attacks_write_nothing_outside_fail_for_good_and_fast(setup, attack: str) -> None:
    before = setup.outside_state()
    file = ATTACKS[attack](setup)
    error, seconds = await log(setup, file)
    assert isinstance(error, UnsafePathError), f"{attack}: {error!r}"
    assert error.retriable is False
    assert str(error).startswith("log_to_file: ")
    assert seconds < 2.0
    assert setup.outside_state() == before
    assert setup.canary.read_text() == CANARY


async def test_a_fifo_with_a_reader_is_refused_and_gets_nothing(setup) -> None:
    fifo = setup.root / "read.log"
    os.mkfifo(fifo)
    reader = os.open(fifo, os.O_RDONLY | os.O_NONBLOCK)
    try:
        error, seconds = await log(setup, "read.log")
        assert isinstance(error, UnsafePathError) and "not a regular file" in str(error)
        assert seconds < 2.0
        try:
            data = os.read(reader, 100)  # b"": the writer has closed without writing
        except BlockingIOError:
            data = b""
        assert data == b""
    finally:
        os.close(reader)


async def test_a_lock_held_too_long_is_transient(tmp_path: Path) -> None:
    (tmp_path / "held.log").write_text("")
    holder = os.open(tmp_path / "held.log", os.O_WRONLY)
    fcntl.flock(holder, fcntl.LOCK_EX)
    try:
        started = time.monotonic()
        with pytest.raises(TransientActionError, match="locked"):
            await asyncio.to_thread(append_line, tmp_path, "held.log", "x\n", 0.2)
        assert time.monotonic() - started < 2.0
    finally:
        os.close(holder)
    append_line(tmp_path, "held.log", "x\n", 0.2)
    assert (tmp_path / "held.log").read_text() == "x\n"


def test_a_lock_released_in_time_is_waited_for(tmp_path: Path) -> None:
    (tmp_path / "w.log").write_text("")
    holder = os.open(tmp_path / "w.log", os.O_WRONLY)
    fcntl.flock(holder, fcntl.LOCK_EX)
    timer = threading.Timer(0.1, os.close, args=(holder,))
    timer.start()
    append_line(tmp_path, "w.log", "x\n", 5.0)
    timer.join()
    assert (tmp_path / "w.log").read_text() == "x\n"


async def test_legitimate_paths_still_work(setup) -> None:
    for file in ("a.log", "deep/er/x.log", "..x.log", "ü/ß.log", "a" * 255):
        error, _ = await log(setup, file)
        assert error is None, file
        assert (setup.root / file).read_text() == "attack\n"
