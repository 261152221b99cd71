import os
import threading
from pathlib import Path

import pytest

from footfall.worker.errors import UnsafePathError
from footfall.worker.logfiles import append_line, check_relative_path, one_line


@pytest.mark.parametrize(
    "path",
    [
        "../x.log",
        "a/../../x.log",
        "/etc/passwd",
        "a/./b.log",
        "",
        "a//b.log",
        "a\\..\\b",
        "C:x",
        "x\x00",
    ],
)
def test_unsafe_paths_are_refused(path: str) -> None:
    with pytest.raises(UnsafePathError):
        check_relative_path(path)


def test_append_creates_directories_and_appends(tmp_path: Path) -> None:
    append_line(tmp_path, "a/b/c.log", "one\n")
    append_line(tmp_path, "a/b/c.log", "two\n")
    assert (tmp_path / "a/b/c.log").read_text() == "one\ntwo\n"


def test_symlinked_file_is_refused(tmp_path: Path) -> None:
    outside = tmp_path / "outside.txt"
    outside.write_text("")
    root = tmp_path / "logs"
    root.mkdir()
    (root / "evil.log").symlink_to(outside)
    with pytest.raises(UnsafePathError):
        append_line(root, "evil.log", "x\n")
    assert outside.read_text() == ""


def test_symlinked_directory_is_refused(tmp_path: Path) -> None:
    outside = tmp_path / "outside"
    outside.mkdir()
    root = tmp_path / "logs"
    root.mkdir()
    (root / "sub").symlink_to(outside, target_is_directory=True)
    with pytest.raises(UnsafePathError):
        append_line(root, "sub/x.log", "x\n")
    assert list(outside.iterdir()) == []


def test_one_line_removes_line_breaks() -> None:
    assert one_line("a\r\nb\nc\rd") == "a b c d\n"


def test_concurrent_appends_never_interleave(tmp_path: Path) -> None:
    lines_per_writer, writers = 200, 4

    def write(n: int) -> None:
        for i in range(lines_per_writer):
            append_line(tmp_path, "c.log", f"{n:02d}-{i:04d}-" + "x" * 5000 + "\n")

    threads = [threading.Thread(target=write, args=(n,)) for n in range(writers)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    lines = (tmp_path / "c.log").read_text().splitlines()
    assert len(lines) == lines_per_writer * writers
    assert all(len(line) == 5000 + 8 and line.endswith("x") for line in lines)
    assert len(set(lines)) == len(lines)


def test_concurrent_processes_append_whole_lines(tmp_path: Path) -> None:
    pids = []
    for n in range(3):
        pid = os.fork()
        if pid == 0:  # child
            try:
                for i in range(100):
                    append_line(tmp_path, "p.log", f"{n}-{i}-" + "y" * 3000 + "\n")
            finally:
                os._exit(0)
        pids.append(pid)
    for pid in pids:
        os.waitpid(pid, 0)
    lines = (tmp_path / "p.log").read_text().splitlines()
    assert len(lines) == 300
    assert all(line.endswith("y" * 3000) for line in lines)
