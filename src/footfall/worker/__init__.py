"""``footfall worker``: consumes action commands and carries them out (SPEC §5–§7)."""

from __future__ import annotations

from footfall.worker.errors import ActionError
from footfall.worker.service import Worker

__all__ = ["ActionError", "Worker"]
