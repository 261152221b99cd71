"""What the engine keeps per visitor (SPEC §3), and its compact JSON-compatible form.

A :class:`VisitorState` is a mutable record with slots: the engine takes the state it
is given, updates it in place and returns it (or ``None`` when it is erased). Callers
that need the old value keep ``state.to_dict()`` or ``state.copy()``.

Everything kept is bounded per visitor whatever the traffic:

* ``recent_ids``: the last :data:`RECENT_IDS` event identities (de-duplication);
* ``resolved``: the last :data:`RESOLVED_INVITATIONS` answered or timed-out invitations;

  both kept as 48-bit fingerprints (BLAKE2b) rather than the ids themselves: ids derived
  from command ids are long, and a false match among 64 entries has odds of ~1e-11.
* ``pending``: at most :data:`PENDING_INVITATIONS` unanswered invitations (oldest dropped);
* ``windows``: per windowable count field, the event times inside the largest window any
  rule uses, at most :data:`WINDOW_EVENTS` of them;
* ``transcript``: the last :data:`TRANSCRIPT_CHARS` characters of the current chat;
* ``throttle``: one mark per (rule, action) with ``per: visitor`` throttling;
* ``issued``: after a purge, the last :data:`ISSUED_IDS` ids of the events and control
  messages the visitor's own commands will feed back (fingerprints, see
  :meth:`VisitorState.issue`).

A purge leaves a *tombstone*: a state with only ``visitor_id`` and ``purged_at`` (no
personal data), which tells what came before the purge from new activity until it
expires (``footfall.engine.EngineConfig.purge_memory``). New activity after the purge
starts a fresh state that keeps ``purged_at`` (and starts ``issued``) until then.
"""

from __future__ import annotations

import hashlib
import sys
from bisect import bisect_right, insort
from collections.abc import Iterable, Mapping
from typing import Any

import orjson

__all__ = [
    "ISSUED_IDS",
    "PENDING_INVITATIONS",
    "RECENT_IDS",
    "RESOLVED_INVITATIONS",
    "TRANSCRIPT_CHARS",
    "WINDOW_EVENTS",
    "VisitorState",
    "fingerprint",
]

RECENT_IDS = 64
RESOLVED_INVITATIONS = 32
PENDING_INVITATIONS = 16
WINDOW_EVENTS = 1000
TRANSCRIPT_CHARS = 4000
ISSUED_IDS = 16

#: Per-session page fields, in facts order.
PAGE_FIELDS = (
    "initial_page",
    "initial_virtual_page",
    "initial_page_title",
    "initial_referrer",
    "current_page",
    "current_virtual_page",
    "current_page_title",
    "current_referrer",
)
#: Last-known visitor fields, kept across sessions.
PROFILE_FIELDS = (
    "site",
    "customer_name",
    "customer_email",
    "ip",
    "host_name",
    "host_domain",
    "user_agent",
    "browser",
    "os",
    "language",
    "country",
    "region",
)
#: Chat context of the current (or last) chat.
CHAT_FIELDS = ("chat_id", "agent", "department", "group", "transcript")
_COUNTERS = (
    "visits",
    "invites_sent",
    "invites_accepted",
    "invites_rejected",
    "invites_ignored",
)
_TIMES = ("invitation_last_sent", "first_chat_at", "last_chat_at", "chat_at")
#: When the visitor was last purged / removed (see :meth:`VisitorState.is_tombstone`).
_FENCES = ("purged_at", "removed_at")
_OPTIONAL = (
    "session_id",
    "started_at",
    *PAGE_FIELDS,
    *PROFILE_FIELDS,
    *CHAT_FIELDS,
    *_TIMES,
    *_FENCES,
)


_FP = 6  # bytes per fingerprint


def fingerprint(text: str) -> bytes:
    """A 48-bit digest of an id (6 bytes; a JSON number exact in JavaScript too)."""
    return hashlib.blake2b(text.encode(), digest_size=_FP).digest()


def _holds(packed: bytearray, key: bytes) -> bool:
    """Whether ``key`` is one of the fingerprints packed in ``packed`` (aligned)."""
    at = packed.find(key)
    while at != -1:
        if at % _FP == 0:
            return True
        at = packed.find(key, at + 1)
    return False


def _numbers(packed: bytearray) -> list[int]:
    return [int.from_bytes(packed[i : i + _FP], "big") for i in range(0, len(packed), _FP)]


def _packed(numbers: Iterable[int]) -> bytearray:
    return bytearray(b"".join(int(n).to_bytes(_FP, "big") for n in numbers))


class VisitorState:
    """The state of one visitor. See the module docstring for the bounds."""

    __slots__ = (
        "_armed",
        "_chat_changed",
        "_evaluated",
        "_facts",
        "_quiet_now",
        "_quiet_until",
        "_settled",
        "_settled_at",
        "_steady",
        "_tick_base",
        "_tick_facts",
        "agent",
        "browser",
        "chat_at",
        "chat_id",
        "chat_status",
        "country",
        "current_page",
        "current_page_title",
        "current_referrer",
        "current_virtual_page",
        "customer_email",
        "customer_name",
        "department",
        "first_chat_at",
        "group",
        "held",
        "hits",
        "host_domain",
        "host_name",
        "initial_page",
        "initial_page_title",
        "initial_referrer",
        "initial_virtual_page",
        "invitation_last_sent",
        "invites_accepted",
        "invites_ignored",
        "invites_rejected",
        "invites_sent",
        "ip",
        "issued",
        "language",
        "last_activity",
        "last_chat_at",
        "latest",
        "online",
        "os",
        "page_time",
        "pending",
        "purged_at",
        "recent_ids",
        "region",
        "removed_at",
        "resolved",
        "session_id",
        "site",
        "started_at",
        "throttle",
        "timed_out",
        "transcript",
        "user_agent",
        "visitor_id",
        "visits",
        "windows",
    )

    def __init__(self, visitor_id: str) -> None:
        self.visitor_id = visitor_id
        # session
        self.online = False
        self.session_id: str | None = None
        self.started_at: float | None = None
        self.hits = 0
        self.last_activity = 0.0
        self.page_time = 0.0
        self.latest = 0.0
        self.chat_status = "none"
        self.initial_page: str | None = None
        self.initial_virtual_page: str | None = None
        self.initial_page_title: str | None = None
        self.initial_referrer: str | None = None
        self.current_page: str | None = None
        self.current_virtual_page: str | None = None
        self.current_page_title: str | None = None
        self.current_referrer: str | None = None
        # identity and environment (last known)
        self.site: str | None = None
        self.customer_name: str | None = None
        self.customer_email: str | None = None
        self.ip: str | None = None
        self.host_name: str | None = None
        self.host_domain: str | None = None
        self.user_agent: str | None = None
        self.browser: str | None = None
        self.os: str | None = None
        self.language: str | None = None
        self.country: str | None = None
        self.region: str | None = None
        # chat context
        self.chat_id: str | None = None
        self.agent: str | None = None
        self.department: str | None = None
        self.group: str | None = None
        self.transcript: str | None = None
        # lifetime
        self.visits = 0
        self.invites_sent = 0
        self.invites_accepted = 0
        self.invites_rejected = 0
        self.invites_ignored = 0
        self.invitation_last_sent: float | None = None
        self.first_chat_at: float | None = None
        #: the time of the latest chat event applied in chat order (see transitions._chat)
        self.chat_at: float | None = None
        #: invitations the engine timed out, by key: their deadline (the last few; an
        #: answer given before it that reaches footfall late still counts)
        self.timed_out: dict[str, float] = {}
        self.last_chat_at: float | None = None
        # purge and remove: the time of the last purge while it is remembered, of the
        # last remove until a session starts again
        self.purged_at: float | None = None
        self.removed_at: float | None = None
        # bookkeeping
        self.pending: dict[str, list[Any]] = {}  # invitation id -> [sent at, caused_by dict]
        # fingerprints, oldest first, 6 bytes each (searched in C)
        self.resolved = bytearray()
        self.recent_ids = bytearray()
        self.issued = bytearray()
        self.windows: dict[str, list[float]] = {}
        self.held: frozenset[str] = frozenset()
        self.throttle: dict[str, list[float]] = {}  # "rule\x1findex" -> [until, suppressed]
        # caches, never serialised: facts that do not depend on the evaluation time, and
        # what the last full online evaluation found under which rules
        # (catalogue order, the two clocks 0.0), see .facts
        self._facts: dict[str, object] | None = None
        self._evaluated: object = None
        self._chat_changed = False
        # clock parts whose result cannot change until the state does (see timing.recheck)
        self._settled: dict[str, bool] | None = None
        self._settled_at = 0.0
        # ticks before _quiet_until with these time-only results change nothing (see
        # footfall.engine.horizon); only meaningful while _settled is kept
        self._quiet_until = 0.0
        self._quiet_now: tuple[bool, ...] | None = None
        # the facts dict ticks reuse, and the base facts it was copied from
        self._tick_facts: dict[str, object] | None = None
        self._tick_base: dict[str, object] | None = None
        self._steady: list[str] = []
        self._armed: tuple[str, ...] = ()

    # -- small helpers used by the transitions -------------------------------------------

    def seen(self, identity: str) -> bool:
        """Record an event identity; True when it was already among the recent ones."""
        recent = self.recent_ids
        key = fingerprint(identity)
        if _holds(recent, key):
            return True
        recent += key
        if len(recent) > RECENT_IDS * _FP:
            del recent[:_FP]
        return False

    @property
    def recent_count(self) -> int:
        """How many event ids de-duplication remembers now (at most :data:`RECENT_IDS`)."""
        return len(self.recent_ids) // _FP

    @property
    def remembers_purge(self) -> bool:
        """Whether a purge of the visitor is remembered (``purged_at`` is set)."""
        return self.purged_at is not None

    @property
    def is_tombstone(self) -> bool:
        """Whether this is what a purge left: nothing but the purge time, no visit since."""
        return self.purged_at is not None and self.visits == 0

    def issue(self, feedback_id: str) -> None:
        """Remember the id of an event or control message a command fired for this
        visitor will feed back (kept only after a purge, the last :data:`ISSUED_IDS`)."""
        issued = self.issued
        issued += fingerprint(feedback_id)
        if len(issued) > ISSUED_IDS * _FP:
            del issued[:_FP]

    def was_issued(self, feedback_id: str) -> bool:
        """Whether ``feedback_id`` is among the ids :meth:`issue` remembers."""
        return _holds(self.issued, fingerprint(feedback_id))

    def forget_purge(self) -> None:
        """Drop what the visitor keeps of a purge once it is no longer remembered."""
        self.purged_at = None
        self.issued = bytearray()

    def is_resolved(self, invitation_id: str) -> bool:
        return _holds(self.resolved, fingerprint(invitation_id))

    def mark_resolved(self, invitation_id: str) -> None:
        resolved = self.resolved
        resolved += fingerprint(invitation_id)
        if len(resolved) > RESOLVED_INVITATIONS * _FP:
            del resolved[:_FP]

    def record(self, field: str, time: float, keep: float | None) -> None:
        """Remember an event time of a count field when some rule windows it (``keep`` s)."""
        if keep is None:
            return
        times = self.windows.get(field)
        if times is None:
            self.windows[field] = [time]
            return
        if not times or time >= times[-1]:
            times.append(time)
        else:
            insort(times, time)
        horizon = max(self.latest, time) - keep
        if times[0] <= horizon:
            del times[: bisect_right(times, horizon)]
        if len(times) > WINDOW_EVENTS:
            del times[: len(times) - WINDOW_EVENTS]

    def window_count(self, field: str, now: float, seconds: float) -> int:
        """How many events of ``field`` happened in ``(now - seconds, now]``."""
        times = self.windows.get(field)
        if not times:
            return 0
        return bisect_right(times, now) - bisect_right(times, now - seconds)

    def trim_windows(self, max_windows: Mapping[str, float]) -> None:
        """Drop window times no rule can see any more (and fields no rule windows)."""
        for field in list(self.windows):
            keep = max_windows.get(field)
            times = self.windows[field]
            if keep is None:
                del self.windows[field]
                continue
            horizon = self.latest - keep
            if times and times[0] <= horizon:
                del times[: bisect_right(times, horizon)]
            if not times:
                del self.windows[field]

    def changed(self) -> None:
        """Forget the cached facts and evaluation after a change."""
        self._facts = None
        self._evaluated = None
        self._settled = None

    def changed_chat(self, evaluated: object) -> None:
        """Only chat facts changed since the evaluation ``evaluated`` (the value
        ``_evaluated`` had before :meth:`changed`): it stays usable for the rules that
        read none of them (``footfall.engine.timing.CHAT_FACTS``).
        """
        if evaluated is not None:
            self._evaluated = evaluated
            self._chat_changed = True
        self._settled = None

    # -- serialisation -------------------------------------------------------------------

    def to_dict(self) -> dict[str, Any]:
        """A compact JSON-compatible dict (absent and empty values left out)."""
        out: dict[str, Any] = {"visitor_id": self.visitor_id}
        if self.online:
            out["online"] = True
        for name in ("hits", "last_activity", "page_time", "latest", *_COUNTERS):
            value = getattr(self, name)
            if value:
                out[name] = value
        if self.chat_status != "none":
            out["chat_status"] = self.chat_status
        for name in _OPTIONAL:
            value = getattr(self, name)
            if value is not None:
                out[name] = value
        if self.pending:
            out["pending"] = self.pending
        if self.resolved:
            out["resolved"] = _numbers(self.resolved)
        if self.recent_ids:
            out["recent_ids"] = _numbers(self.recent_ids)
        if self.issued:
            out["issued"] = _numbers(self.issued)
        if self.windows:
            out["windows"] = self.windows
        if self.held:
            out["held"] = sorted(self.held)
        if self.throttle:
            out["throttle"] = self.throttle
        if self.timed_out:
            out["timed_out"] = self.timed_out
        return out

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> VisitorState:
        state = cls(str(data["visitor_id"]))
        state.online = bool(data.get("online", False))
        for name in ("hits", *_COUNTERS):
            setattr(state, name, int(data.get(name, 0)))
        for name in ("last_activity", "page_time", "latest"):
            setattr(state, name, float(data.get(name, 0.0)))
        state.chat_status = str(data.get("chat_status", "none"))
        for name in _OPTIONAL:
            setattr(state, name, data.get(name))
        state.pending = {k: list(v) for k, v in data.get("pending", {}).items()}
        state.resolved = _packed(data.get("resolved", ()))
        state.recent_ids = _packed(data.get("recent_ids", ()))
        state.issued = _packed(data.get("issued", ()))
        state.windows = {k: [float(t) for t in v] for k, v in data.get("windows", {}).items()}
        # rule ids and throttle keys repeat across visitors: share one string each
        state.held = frozenset(map(sys.intern, data.get("held", ())))
        state.throttle = {sys.intern(k): list(v) for k, v in data.get("throttle", {}).items()}
        state.timed_out = {str(k): float(v) for k, v in data.get("timed_out", {}).items()}
        return state

    def to_bytes(self) -> bytes:
        return orjson.dumps(self.to_dict())

    @classmethod
    def from_bytes(cls, data: bytes) -> VisitorState:
        return cls.from_dict(orjson.loads(data))

    def copy(self) -> VisitorState:
        return VisitorState.from_dict(self.to_dict())

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, VisitorState):
            return NotImplemented
        return self.to_dict() == other.to_dict()

    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        return f"VisitorState({self.to_dict()!r})"
