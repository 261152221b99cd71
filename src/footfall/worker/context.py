"""What an action needs from the running worker: its transports, directory and clock.

Actions receive an :class:`ActionContext` and do no other I/O; tests build one with
recorders (see :mod:`footfall.worker.testing`).
"""

from __future__ import annotations

import os
import time
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import aiohttp

from footfall.settings import Settings
from footfall.worker.directory import Directory
from footfall.worker.mail import MailTransport
from footfall.worker.netguard import Allowlist

__all__ = ["ActionContext", "Publish"]

Publish = Callable[[str, str, dict[str, Any]], Awaitable[None]]
"""``publish(topic short name, key, value)``: send one JSON message and wait for the ack."""


@dataclass(slots=True)
class ActionContext:
    settings: Settings
    http: aiohttp.ClientSession
    allowlist: Allowlist
    mailer: MailTransport
    publish: Publish
    directory: Directory = field(default_factory=Directory)
    environ: Mapping[str, str] = field(default_factory=lambda: os.environ)
    clock: Callable[[], float] = time.time
