"""``footfall dev`` end to end: start it as a user would, watch it work, stop it with SIGTERM.

It starts its own Kafka broker, processor, two workers, sinks and traffic; a mail must
reach the SMTP sink and a web call the webhook sink (both fired by the example rules on
the generated traffic), the Who's On API must list visitors, and after SIGTERM no
process it started may remain and its run directory must be gone.
"""

from __future__ import annotations

import contextlib
import os
import re
import signal
import subprocess
import sys
import threading
import time
import urllib.request
from collections.abc import Callable
from pathlib import Path
from typing import Any

import orjson
import pytest

pytestmark = pytest.mark.integration

ROOT = Path(__file__).resolve().parents[2]
START_TIMEOUT = 300.0  # a cold JVM and first Maven fetch are slow on 2 cores
WORK_TIMEOUT = 90.0


def descendants(pid: int) -> set[int]:
    """Every live process whose parent chain leads to ``pid``."""
    parents: dict[int, int] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        fields = stat.rsplit(")", 1)[1].split()
        parents[int(entry.name)] = int(fields[1])
    found: set[int] = set()
    frontier = {pid}
    while frontier:
        children = {child for child, parent in parents.items() if parent in frontier}
        frontier = children - found
        found |= children
    return found


def alive(pid: int) -> bool:
    try:
        state = (Path("/proc") / str(pid) / "stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


def get_json(url: str, token: str | None = None) -> Any:
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    request = urllib.request.Request(url, headers=headers)
    with urllib.request.urlopen(request, timeout=5) as response:
        return orjson.loads(response.read())


class Output:
    """The dev command's stdout, read line by line in a thread."""

    def __init__(self, stream: Any) -> None:
        self.lines: list[str] = []
        self._changed = threading.Condition()
        self._thread = threading.Thread(target=self._read, args=(stream,), daemon=True)
        self._thread.start()

    def _read(self, stream: Any) -> None:
        for raw in stream:
            with self._changed:
                self.lines.append(raw.decode("utf-8", "replace").rstrip("\n"))
                self._changed.notify_all()

    def wait_for(self, text: str, timeout: float) -> str:
        deadline = time.monotonic() + timeout
        with self._changed:
            while True:
                for line in self.lines:
                    if text in line:
                        return line
                left = deadline - time.monotonic()
                if left <= 0 or not self._thread.is_alive():
                    raise AssertionError(f"no {text!r} in the output:\n" + self.text())
                self._changed.wait(min(left, 1.0))

    def text(self) -> str:
        return "\n".join(self.lines)

    def value(self, label: str) -> str:
        line = self.wait_for(f"{label}:", 1)
        return line.split(":", 1)[1].strip().split()[0]


def poll(check: Any, timeout: float, what: str) -> Any:
    deadline = time.monotonic() + timeout
    last: Any = None
    while time.monotonic() < deadline:
        try:
            last = check()
        except OSError as exc:
            last = exc
        else:
            if last:
                return last
        time.sleep(1)
    raise AssertionError(f"{what} did not happen within {timeout:.0f}s (last: {last!r})")


def test_footfall_dev_runs_the_whole_system_and_stops_cleanly(
    tmp_path: Path, port_block: Callable[[int], int]
) -> None:
    base = port_block(4)  # processor, two workers, webhook sink
    env = dict(os.environ)
    env.update({"FOOTFALL_PARTITIONS": "4", "FOOTFALL_TICK": "5s", "PYTHONUNBUFFERED": "1"})
    command = [
        sys.executable, "-m", "footfall", "dev",
        "--examples", str(ROOT / "examples"),
        "--web-port", str(base), "--webhook-port", str(base + 3),
        "--workers", "2", "--rate", "25", "--visitors", "12", "--seed", "7",
        "--progress", "10s", "--run-dir", str(tmp_path),
    ]  # fmt: skip
    began = time.monotonic()
    process = subprocess.Popen(
        command, cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT
    )
    output = Output(process.stdout)
    started: set[int] = set()
    try:
        ready = output.wait_for("footfall dev is ready in", START_TIMEOUT)
        output.wait_for("Press Ctrl-C to stop.", 5)
        ready_after = time.monotonic() - began
        print(f"ready after {ready_after:.1f}s: {ready}")
        started = descendants(process.pid)
        # processor, two workers and the Kafka JVM at least
        assert len(started) >= 4, output.text()
        page = output.value("Who's On page")
        hooks = output.value("Webhook sink").rstrip("/")
        broker = output.value("Kafka broker")
        run_dir = Path(output.value("Run directory"))
        assert page == f"http://127.0.0.1:{base}/"
        assert hooks == f"http://127.0.0.1:{base + 3}"
        assert re.fullmatch(r"127\.0\.0\.1:\d+", broker)
        assert run_dir.is_dir() and run_dir.parent == tmp_path
        assert output.value("Mail sink").startswith("smtp://127.0.0.1:")

        mails = poll(
            lambda: get_json(f"{hooks}/_sink/mails")["mails"], WORK_TIMEOUT, "a mail to the sink"
        )
        assert all(m["rcpt_tos"] for m in mails)
        calls = poll(
            lambda: get_json(f"{hooks}/_sink/requests")["requests"],
            WORK_TIMEOUT,
            "a web call to the sink",
        )
        assert calls[0]["path"].startswith(("/crm/", "/tickets/", "/providers/", "/reports/"))

        def online() -> list[Any]:
            data = get_json(f"{page}api/visitors", output.value("Admin token"))
            visitors = data["visitors"] if isinstance(data, dict) else data
            return list(visitors)

        visitors = poll(online, WORK_TIMEOUT, "visitors on the Who's On list")
        assert all(v["visitor_id"].startswith("v-") for v in visitors)
    finally:
        started |= descendants(process.pid)
        process.send_signal(signal.SIGTERM)
        try:
            code = process.wait(90)
        except subprocess.TimeoutExpired:
            for pid in started | {process.pid}:
                with contextlib.suppress(ProcessLookupError):
                    os.kill(pid, signal.SIGKILL)
            raise
    assert code == 0, output.text()
    output.wait_for("stopped", 5)
    leftovers = [pid for pid in started if alive(pid)]
    assert leftovers == [], output.text()
    assert list(tmp_path.iterdir()) == [], "the run directory was left behind"
