"""A traffic generator: simulated visitors browsing, identifying, chatting and leaving.

The pure part (:mod:`footfall.devtraffic.model`) decides which event comes next; the
shell (:mod:`footfall.devtraffic.producer`) paces it at a rate and produces the events
to ``visitor-events`` / ``chat-events`` keyed by visitor id, or prints them as JSON
lines for ``footfall simulate``.
"""

from __future__ import annotations

from footfall.devtraffic.model import TrafficEvent, TrafficModel, format_time
from footfall.devtraffic.pacing import Pacer, virtual_times

__all__ = ["Pacer", "TrafficEvent", "TrafficModel", "format_time", "virtual_times"]
