"""The pure part of the traffic generator: which event to emit next, given the time.

:class:`TrafficModel` keeps a pool of simulated visitors (about ``visitors`` online at
once) and, on every :meth:`TrafficModel.step`, advances one of them by one event:
arriving (the session's first ``page_view``), browsing further, identifying, being
invited by an agent and answering, chatting, and leaving (``session_end``, or silently,
so that the idle timeout takes them off the list). Some visitors come back later with
a new session. Invitations sent by rules are fed in with
:meth:`TrafficModel.invitation_received` and answered like an agent's.

No I/O, no clock: the caller passes ``now``; the same seed and the same sequence of
``now`` values give the same events.
"""

from __future__ import annotations

import enum
import random
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, TypeVar

from footfall.devtraffic import catalogue
from footfall.devtraffic.catalogue import Locale

__all__ = ["TrafficEvent", "TrafficModel", "format_time"]

T = TypeVar("T")

VISITOR_EVENTS = "visitor-events"
CHAT_EVENTS = "chat-events"

# What a browsing visitor does next (weights).
_BROWSE_CHOICES: tuple[tuple[str, int], ...] = (
    ("page_view", 76),
    ("identify", 5),
    ("session_end", 6),
    ("go_idle", 3),
    ("agent_invites", 6),
    ("visitor_chats", 4),
)
# How a visitor answers an invitation (weights); "none" lets the processor time it out.
_ANSWERS: tuple[tuple[str, int], ...] = (
    ("chat_invitation_accepted", 40),
    ("chat_invitation_rejected", 30),
    ("chat_invitation_ignored", 10),
    ("none", 20),
)
_RETURN_PROBABILITY = 0.25
# now and then a visitor asks to be forgotten (the example rule "forget-me" purges them)
_FORGET_ME_PROBABILITY = 0.02
_KEEP_DEPARTED = 500


def format_time(moment: datetime) -> str:
    """RFC 3339 with milliseconds and a ``Z`` for UTC."""
    text = moment.astimezone(UTC).isoformat(timespec="milliseconds")
    return text.replace("+00:00", "Z")


@dataclass(frozen=True, slots=True)
class TrafficEvent:
    """One event to produce: the short topic name, the key (visitor id) and the JSON value."""

    topic: str
    key: str
    value: dict[str, Any]


class _Phase(enum.Enum):
    BROWSING = "browsing"
    INVITED = "invited"
    ACCEPTED = "accepted"
    CHATTING = "chatting"


@dataclass(slots=True)
class _Visitor:
    visitor_id: str
    locale: Locale
    ip: str
    host_name: str
    user_agent: str
    customer: tuple[str, str] | None
    session_id: str = ""
    page: str | None = None
    hits: int = 0
    phase: _Phase = _Phase.BROWSING
    invitation_id: str | None = None
    agent: str | None = None
    department: str | None = None
    chat_id: str | None = None
    messages_left: int = 0
    visitor_speaks: bool = True
    answered: set[str] = field(default_factory=set)


class TrafficModel:
    """Simulated visitors of ``site``; each :meth:`step` yields the next event."""

    def __init__(
        self,
        *,
        visitors: int = 50,
        seed: int | None = None,
        site: str = "www.example.com",
    ) -> None:
        if visitors < 1:
            raise ValueError("visitors must be at least 1")
        self._target = visitors
        self._random = random.Random(seed)
        self._site = site
        self._online: dict[str, _Visitor] = {}
        self._departed: list[_Visitor] = []
        self._emitted = 0

    @property
    def online(self) -> int:
        """How many simulated visitors are browsing now."""
        return len(self._online)

    @property
    def emitted(self) -> int:
        return self._emitted

    def step(self, now: datetime) -> TrafficEvent:
        """Advance one visitor by one event at ``now`` and return that event."""
        event: TrafficEvent | None = None
        while event is None:
            spawn = len(self._online) < self._target and self._random.random() < 0.5
            if not self._online or spawn:
                event = self._arrive(now)
            else:
                visitor = self._online[self._random.choice(sorted(self._online))]
                event = self._advance(visitor, now)
        self._emitted += 1
        return event

    def invitation_received(
        self,
        visitor_id: str,
        invitation_id: str,
        *,
        agent: str | None = None,
        department: str | None = None,
    ) -> bool:
        """An invitation (e.g. sent by a rule) reached the visitor; they will answer it.

        Returns False when the visitor is not online here or is busy chatting.
        """
        visitor = self._online.get(visitor_id)
        if visitor is None or visitor.phase in (_Phase.ACCEPTED, _Phase.CHATTING):
            return False
        if invitation_id in visitor.answered:
            return False
        visitor.phase = _Phase.INVITED
        visitor.invitation_id = invitation_id
        visitor.agent = agent
        visitor.department = department
        return True

    # -- transitions ------------------------------------------------------------------

    def _arrive(self, now: datetime) -> TrafficEvent:
        if self._departed and self._random.random() < _RETURN_PROBABILITY:
            visitor = self._departed.pop(self._random.randrange(len(self._departed)))
            visitor.page = None
            visitor.hits = 0
            visitor.phase = _Phase.BROWSING
        else:
            visitor = self._new_visitor()
        visitor.session_id = self._uid("s")
        self._online[visitor.visitor_id] = visitor
        landing = self._weighted(catalogue.LANDING_PAGES)
        referrer = self._weighted(catalogue.REFERRERS)
        return self._page_view(visitor, landing, referrer, now)

    def _advance(self, visitor: _Visitor, now: datetime) -> TrafficEvent | None:
        if visitor.phase is _Phase.INVITED:
            if self._random.random() < 0.6:
                return self._answer(visitor, now)
            return self._browse(visitor, now)
        if visitor.phase is _Phase.ACCEPTED:
            visitor.phase = _Phase.CHATTING
            visitor.chat_id = self._uid("chat")
            visitor.messages_left = self._random.randint(2, 6)
            visitor.visitor_speaks = True
            return self._chat(visitor, "chat_started", now)
        if visitor.phase is _Phase.CHATTING:
            return self._talk(visitor, now)
        choice = self._weighted(_BROWSE_CHOICES)
        if visitor.page == "/checkout/done" and choice == "page_view":
            choice = "session_end"
        if choice == "identify" and visitor.customer is None:
            return self._identify(visitor, now)
        if choice == "session_end":
            self._leave(visitor)
            return self._visitor_event(visitor, "session_end", now, {})
        if choice == "go_idle":
            self._leave(visitor)  # silently: the idle timeout takes them off the list
            return None
        if choice == "agent_invites":
            visitor.phase = _Phase.INVITED
            visitor.invitation_id = self._uid("inv")
            visitor.agent = self._random.choice(catalogue.AGENTS)
            visitor.department = self._department(visitor)
            return self._chat(visitor, "chat_invited", now, {"message": "Can I help you?"})
        if choice == "visitor_chats":
            visitor.phase = _Phase.ACCEPTED
            visitor.invitation_id = None
            visitor.agent = self._random.choice(catalogue.AGENTS)
            visitor.department = self._department(visitor)
            return self._advance(visitor, now)
        return self._browse(visitor, now)

    def _browse(self, visitor: _Visitor, now: datetime) -> TrafficEvent:
        current = catalogue.PAGES[visitor.page or "/"]
        target = self._random.choice(current.links)
        return self._page_view(visitor, target, self._url(current.path), now)

    def _answer(self, visitor: _Visitor, now: datetime) -> TrafficEvent:
        answer = self._weighted(_ANSWERS)
        invitation_id = visitor.invitation_id or self._uid("inv")
        visitor.answered.add(invitation_id)
        if answer == "none":
            # no answer at all: the processor's invitation timeout will synthesise "ignored"
            visitor.phase = _Phase.BROWSING
            return self._browse(visitor, now)
        event = self._chat(visitor, answer, now)
        visitor.phase = _Phase.ACCEPTED if answer == "chat_invitation_accepted" else _Phase.BROWSING
        return event

    def _talk(self, visitor: _Visitor, now: datetime) -> TrafficEvent:
        if visitor.messages_left <= 0:
            event = self._chat(visitor, "chat_ended", now)
            visitor.phase = _Phase.BROWSING
            visitor.chat_id = None
            visitor.invitation_id = None
            return event
        visitor.messages_left -= 1
        if visitor.visitor_speaks:
            text = self._random.choice(catalogue.CHAT_VISITOR_LINES)
            if self._random.random() < _FORGET_ME_PROBABILITY:
                text = catalogue.FORGET_ME_LINE
            extra = {"sender": "visitor", "text": text}
        else:
            extra = {"sender": "agent", "text": self._random.choice(catalogue.CHAT_AGENT_LINES)}
        visitor.visitor_speaks = not visitor.visitor_speaks
        return self._chat(visitor, "chat_message", now, extra)

    def _identify(self, visitor: _Visitor, now: datetime) -> TrafficEvent:
        name = self._random.choice(catalogue.NAMES)
        local = name.split()[0].lower().replace("ü", "ue").replace("é", "e").replace("í", "i")
        address = f"{local}.{self._random.randrange(1000)}@example.com"
        visitor.customer = (name, address)
        return self._visitor_event(
            visitor, "identify", now, {"customer": {"name": name, "email": address}}
        )

    def _leave(self, visitor: _Visitor) -> None:
        del self._online[visitor.visitor_id]
        self._departed.append(visitor)
        del self._departed[: max(0, len(self._departed) - _KEEP_DEPARTED)]

    # -- event building ---------------------------------------------------------------

    def _page_view(
        self, visitor: _Visitor, path: str, referrer: str | None, now: datetime
    ) -> TrafficEvent:
        page = catalogue.PAGES[path]
        visitor.page = path
        visitor.hits += 1
        fields: dict[str, Any] = {
            "url": self._url(path),
            "title": page.title,
            "ip": visitor.ip,
            "host_name": visitor.host_name,
            "user_agent": visitor.user_agent,
            "language": visitor.locale.language,
            "country": visitor.locale.country,
            "region": visitor.locale.region,
        }
        if page.virtual_page is not None:
            fields["virtual_page"] = page.virtual_page
        if referrer is not None:
            fields["referrer"] = referrer
        return self._visitor_event(visitor, "page_view", now, fields)

    def _visitor_event(
        self, visitor: _Visitor, kind: str, now: datetime, fields: dict[str, Any]
    ) -> TrafficEvent:
        value = self._common(visitor, kind, now)
        value.update(fields)
        return TrafficEvent(VISITOR_EVENTS, visitor.visitor_id, value)

    def _chat(
        self, visitor: _Visitor, kind: str, now: datetime, extra: dict[str, Any] | None = None
    ) -> TrafficEvent:
        value = self._common(visitor, kind, now)
        for name in ("chat_id", "invitation_id", "agent", "department"):
            item = getattr(visitor, name)
            if item is not None:
                value[name] = item
        value["group"] = "web"
        value.update(extra or {})
        return TrafficEvent(CHAT_EVENTS, visitor.visitor_id, value)

    def _common(self, visitor: _Visitor, kind: str, now: datetime) -> dict[str, Any]:
        return {
            "type": kind,
            "visitor_id": visitor.visitor_id,
            "time": format_time(now),
            "event_id": self._uid("e"),
            "session_id": visitor.session_id,
            "site": self._site,
        }

    def _new_visitor(self) -> _Visitor:
        locale = self._weighted(catalogue.LOCALES)
        if ":" in locale.ip_prefix:
            ip = f"{locale.ip_prefix}{self._random.randrange(1, 0xFFFF):x}"
        else:
            ip = f"{locale.ip_prefix}{self._random.randrange(1, 255)}"
        host = "host-" + ip.replace(".", "-").replace(":", "-").strip("-")
        return _Visitor(
            visitor_id=self._uid("v"),
            locale=locale,
            ip=ip,
            host_name=f"{host}.{locale.host_domain}",
            user_agent=self._weighted(catalogue.USER_AGENTS),
            customer=None,
        )

    def _department(self, visitor: _Visitor) -> str:
        page = visitor.page or "/"
        if page.startswith(("/pricing", "/checkout", "/contact")):
            return "sales"
        if page.startswith("/kb/billing"):
            return "billing"
        return self._random.choice(catalogue.DEPARTMENTS)

    def _url(self, path: str) -> str:
        return f"https://{self._site}{path}"

    def _uid(self, prefix: str) -> str:
        return f"{prefix}-{uuid.UUID(int=self._random.getrandbits(128), version=4).hex[:16]}"

    def _weighted(self, choices: Sequence[tuple[T, int]]) -> T:
        values = [value for value, _ in choices]
        weights = [weight for _, weight in choices]
        return self._random.choices(values, weights=weights)[0]
