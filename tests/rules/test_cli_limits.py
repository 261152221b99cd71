"""``footfall rules validate`` on hostile files: exit 2, one line each, within a second of
CPU, memory bounded (run in a child process with its address space limited)."""

from __future__ import annotations

import os
import resource
import subprocess
import sys
from pathlib import Path

import orjson
import pytest

from footfall.rules.limits import MAX_FILE_BYTES

from .helpers import raw_rule

HEAD = "id: r1\nevent: online_activity\nactions: [{kind: remove_from_list}]\n"
#: The child's address space: far below what the bombs needed before they were refused.
ADDRESS_SPACE = 1536 * 1024 * 1024

#: Runs the command in-process and prints (exit code, CPU seconds, peak RSS growth in KiB).
CHILD = """
import resource, sys, time
from footfall.cli.main import main
before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
cpu = time.process_time()
code = main(["rules", "validate", *sys.argv[1:]])
cpu = time.process_time() - cpu
grown = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before
print(code, cpu, grown, sep="\\t")
"""


def _laughs(levels: int, indent: str = "") -> str:
    lines = [f'{indent}l0: &l0 ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]']
    for i in range(1, levels):
        lines.append(f"{indent}l{i}: &l{i} [" + ",".join([f"*l{i - 1}"] * 9) + "]")
    return "\n".join(lines) + "\n"


def _bombs(tmp: Path) -> dict[str, tuple[Path, str]]:
    """name -> (file, the start of its one problem line)."""
    files: dict[str, tuple[str, bytes, str]] = {
        "laughs-in-name": (
            "yaml",
            (HEAD + _laughs(9) + "name: [*l8,*l8,*l8,*l8,*l8,*l8,*l8,*l8,*l8]\n").encode(),
            "refused at line 9, column 5: YAML aliases expand the document",
        ),
        "laughs-in-payload": (
            "yaml",
            (
                "id: r1\nname: n\nevent: online_activity\nactions:\n"
                "- kind: notify_external_provider\n  provider: crm\n  payload:\n"
                + _laughs(7, "    ")
            ).encode(),
            "refused at line 13, column 9: YAML aliases expand the document",
        ),
        "merge-keys": (
            "yaml",
            (
                "m0: &m0 {a: 1, b: 2}\n"
                + "".join(
                    f"m{i}: &m{i} {{<<: [*m{i - 1}, *m{i - 1}], k{i}: 1}}\n" for i in range(1, 60)
                )
            ).encode(),
            "refused at line",
        ),
        "self-alias": ("yaml", (HEAD + "name: &n [*n]\n").encode(), "refused at line 4, column 7"),
        "deep-key": ("yaml", (HEAD + "? " + "[" * 999 + "]" * 999 + "\n: 1\n").encode(), "refused"),
        "big-file": ("yaml", b"#" * (MAX_FILE_BYTES + 10), "the file is larger than 1 MiB"),
        "big-int": (
            "yaml",
            (HEAD + "name: n\nwhen: {hits: {eq: " + "9" * 5000 + "}}\n").encode(),
            "invalid YAML at line 5, column 19: integer out of range: an integer of 5,000 "
            "characters",
        ),
        "words": (
            "json",
            orjson.dumps(
                raw_rule(
                    when={"sent_message": {"contains_words": [f"w{i}" for i in range(60_000)]}}
                )
            ),
            "r1: when.sent_message.contains_words: 60,000 words, more than the 10,000 allowed",
        ),
        "deep-json": (
            "json",
            b'{"id": "r1", "name": ' + b"[" * 1000 + b"]" * 1000 + b"}",
            "r1: name[0]",
        ),
    }
    out = {}
    for name, (suffix, content, start) in files.items():
        path = tmp / f"{name}.{suffix}"
        path.write_bytes(content)
        out[name] = (path, start)
    return out


def _limit_memory() -> None:
    resource.setrlimit(resource.RLIMIT_AS, (ADDRESS_SPACE, ADDRESS_SPACE))


def _validate(path: Path) -> tuple[int, float, int, str, str]:
    done = subprocess.run(
        [sys.executable, "-c", CHILD, str(path)],
        capture_output=True,
        text=True,
        timeout=120,
        preexec_fn=_limit_memory,
        env={**os.environ, "PYTHONHASHSEED": "0"},
        check=False,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    *printed, last = done.stdout.splitlines()
    code, cpu, grown = last.split("\t")
    return int(code), float(cpu), int(grown), "\n".join(printed), done.stderr


BOMBS = [
    "laughs-in-name",
    "laughs-in-payload",
    "merge-keys",
    "self-alias",
    "deep-key",
    "big-file",
    "big-int",
    "words",
    "deep-json",
]


@pytest.mark.parametrize("name", BOMBS)
def test_validate_refuses_each_bomb_fast_with_one_line(tmp_path: Path, name: str) -> None:
    path, start = _bombs(tmp_path)[name]
    code, cpu, grown, out, err = _validate(path)
    assert code == 2
    assert out == ""
    (line,) = err.splitlines()
    assert start in line
    assert cpu < 1.0
    assert grown < 200 * 1024  # KiB: the file and its parse, never the expansion


def test_a_valid_file_still_passes_in_the_same_harness(tmp_path: Path) -> None:
    path = tmp_path / "ok.yaml"
    path.write_text(
        "id: r1\nname: n\nevent: online_activity\nactions: [{kind: remove_from_list}]\n"
    )
    code, cpu, _, out, err = _validate(path)
    assert (code, out, err) == (0, "1 rule valid (1 enabled) in 1 file", "")
    assert cpu < 1.0
