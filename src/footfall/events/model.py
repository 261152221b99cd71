"""Input events (SPEC §2) and control messages as typed, frozen values.

One :class:`Event` type carries every kind: the fields a kind does not use are
``None``. This keeps the hot path free of per-kind dispatch and lets the engine read
fields directly. :class:`Control` is a ``remove``/``purge`` message on ``control``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

__all__ = [
    "CHAT_EVENT_TYPES",
    "CONTROL_TYPES",
    "EVENT_TYPES",
    "INVITATION_ANSWERS",
    "VISITOR_EVENT_TYPES",
    "CausedBy",
    "Control",
    "Event",
]

VISITOR_EVENT_TYPES = frozenset({"page_view", "identify", "session_end"})
INVITATION_ANSWERS = frozenset(
    {"chat_invitation_accepted", "chat_invitation_rejected", "chat_invitation_ignored"}
)
CHAT_EVENT_TYPES = frozenset(
    {"chat_invited", "chat_started", "chat_message", "chat_ended"} | INVITATION_ANSWERS
)
EVENT_TYPES = VISITOR_EVENT_TYPES | CHAT_EVENT_TYPES
CONTROL_TYPES = frozenset({"remove", "purge"})


@dataclass(frozen=True, slots=True)
class CausedBy:
    """The rule whose action caused an event or command, and the cascade depth."""

    rule_id: str
    depth: int

    def to_dict(self) -> dict[str, Any]:
        return {"rule_id": self.rule_id, "depth": self.depth}


@dataclass(slots=True, init=False)
class Event:
    """A visitor or chat event. ``time`` is epoch seconds (UTC).

    ``identity`` is what command ids and de-duplication use: the ``event_id`` when
    the event has one, else ``"sha:"`` + a digest of the event's canonical JSON.

    Treated as immutable (nothing assigns to an event once built) but not ``frozen``: a
    frozen dataclass sets each of its 30 fields through ``object.__setattr__``, and the
    ``__init__`` written out here is what the compiled build compiles (a generated one
    stays interpreted). A test checks it matches the fields.
    """

    type: str
    visitor_id: str
    time: float
    identity: str
    event_id: str | None = None
    session_id: str | None = None
    site: str | None = None
    # page_view
    url: str | None = None
    title: str | None = None
    virtual_page: str | None = None
    referrer: str | None = None
    ip: str | None = None
    host_name: str | None = None
    user_agent: str | None = None
    browser: str | None = None
    os: str | None = None
    language: str | None = None
    country: str | None = None
    region: str | None = None
    # page_view, identify
    customer_name: str | None = None
    customer_email: str | None = None
    # chat events
    chat_id: str | None = None
    invitation_id: str | None = None
    agent: str | None = None
    department: str | None = None
    group: str | None = None
    sender: str | None = None
    text: str | None = None
    # provenance
    source: str | None = None
    caused_by: CausedBy | None = None

    def __init__(
        self,
        type: str,  # noqa: A002 - the field is called type (SPEC §2)
        visitor_id: str,
        time: float,
        identity: str,
        event_id: str | None = None,
        session_id: str | None = None,
        site: str | None = None,
        url: str | None = None,
        title: str | None = None,
        virtual_page: str | None = None,
        referrer: str | None = None,
        ip: str | None = None,
        host_name: str | None = None,
        user_agent: str | None = None,
        browser: str | None = None,
        os: str | None = None,
        language: str | None = None,
        country: str | None = None,
        region: str | None = None,
        customer_name: str | None = None,
        customer_email: str | None = None,
        chat_id: str | None = None,
        invitation_id: str | None = None,
        agent: str | None = None,
        department: str | None = None,
        group: str | None = None,
        sender: str | None = None,
        text: str | None = None,
        source: str | None = None,
        caused_by: CausedBy | None = None,
    ) -> None:
        self.type = type
        self.visitor_id = visitor_id
        self.time = time
        self.identity = identity
        self.event_id = event_id
        self.session_id = session_id
        self.site = site
        self.url = url
        self.title = title
        self.virtual_page = virtual_page
        self.referrer = referrer
        self.ip = ip
        self.host_name = host_name
        self.user_agent = user_agent
        self.browser = browser
        self.os = os
        self.language = language
        self.country = country
        self.region = region
        self.customer_name = customer_name
        self.customer_email = customer_email
        self.chat_id = chat_id
        self.invitation_id = invitation_id
        self.agent = agent
        self.department = department
        self.group = group
        self.sender = sender
        self.text = text
        self.source = source
        self.caused_by = caused_by

    @property
    def depth(self) -> int:
        """Cascade depth: 0 for an event no rule caused."""
        return 0 if self.caused_by is None else self.caused_by.depth


@dataclass(frozen=True, slots=True)
class Control:
    """A ``remove`` or ``purge`` message for one visitor (SPEC §1 ``control``).

    ``identity`` is the optional ``event_id`` of the message (actions set one derived
    from their command id), else a digest of its canonical JSON.
    """

    type: str
    visitor_id: str
    time: float
    identity: str
    event_id: str | None = None
    caused_by: CausedBy | None = None

    @property
    def depth(self) -> int:
        return 0 if self.caused_by is None else self.caused_by.depth
