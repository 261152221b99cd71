"""Purge is final for what came before it; a remove's echo does not bring a visitor back.

Each order in which a purge (or remove) and what an earlier command fed back can be
read: the live system reads ``control`` and ``chat-events`` independently.
"""

from __future__ import annotations

from footfall.engine import Engine, EngineConfig, VisitorState, feedback_for
from footfall.engine.commands import Command
from footfall.events import Event, parse_time
from footfall.testing import Driver, at, chat, control, page_view, rule, rules_of

INVITE = {"kind": "send_live_chat_invitation", "message": "Hi"}
LOG = {"kind": "log_to_file", "file": "x.log"}
CAUSED = {"rule_id": "invite", "depth": 1}


def _rules() -> list[dict[str, object]]:
    return [
        rule("invite", when={"current_page": {"contains": "/help"}}, actions=[INVITE]),
        rule("invited", event="live_chat_invited", actions=[LOG]),
        rule("idle", when={"idle_minutes": {"gte": 5}}, actions=[LOG]),
        rule("purged", event="online_visitor_purged", actions=[LOG]),
        rule("removed", event="online_visitor_removed", actions=[LOG]),
    ]


def _driver(**config: float) -> Driver:
    return Driver(rules_of(*_rules()), EngineConfig(**config))


def _invited_echo(d: Driver, visitor: str, time: str, event_id: str) -> Event:
    """A help page view that fires the invitation; the chat_invited it will feed back."""
    fired = d.send(page_view(visitor, time, "https://e.com/help", event_id=event_id))
    invite = [c for c in fired if c.rule.id == "invite"]
    assert len(invite) == 1
    echo = feedback_for(invite[0])
    assert isinstance(echo, Event) and echo.caused_by is not None
    return echo


def _ids(commands: list[Command]) -> list[str]:
    return [c.rule.id for c in commands]


def _later(echo: Event, seconds: float) -> Event:
    """The same echo stamped ``seconds`` after its command fired (a worker's clock)."""
    return Event(
        type=echo.type,
        visitor_id=echo.visitor_id,
        time=echo.time + seconds,
        identity=echo.identity,
        event_id=echo.event_id,
        invitation_id=echo.invitation_id,
        source=echo.source,
        caused_by=echo.caused_by,
    )


def _tombstone(visitor: str, time: str) -> dict[str, object]:
    return {"visitor_id": visitor, "purged_at": parse_time(time)}


def test_invited_read_before_the_purge() -> None:
    d = _driver()
    echo = _invited_echo(d, "v", at(0), "p1")
    assert _ids(d.send(_later(echo, 1))) == ["invited"]
    assert _ids(d.send(control("purge", "v", at(2)))) == ["purged"]
    state = d.state("v")
    assert state is not None and state.to_dict() == _tombstone("v", at(2))
    assert d.tick(at(600)) == []


def test_invited_read_after_the_purge_changes_and_fires_nothing() -> None:
    d = _driver()
    echo = _invited_echo(d, "v", at(0), "p1")
    assert _ids(d.send(control("purge", "v", at(2)))) == ["purged"]
    # the worker stamped the echo after the purge: its cause is what tells
    outcome = d.engine.handle(d.state("v"), _later(echo, 3))
    assert outcome.purged and outcome.candidates == () and not outcome.duplicate
    state = outcome.state
    assert state is not None and state.to_dict() == _tombstone("v", at(2))
    assert Engine.needs_tick(state)  # ticked only so that it expires
    assert d.tick(at(30), "v") == [] and d.tick(at(600), "v") == []
    assert d.state("v") == VisitorState.from_dict(_tombstone("v", at(2)))


def test_anything_at_or_before_the_purge_time_is_dropped() -> None:
    d = _driver()
    d.send(page_view("v", at(0)))
    d.send(control("purge", "v", at(10)))
    for late in (
        page_view("v", at(5), event_id="late-view"),
        chat("chat_invited", "v", at(10), invitation_id="i1"),  # an agent, from before
        chat("chat_started", "v", at(9), chat_id="c1"),
    ):
        outcome = d.engine.handle(d.state("v"), late)
        assert outcome.purged and outcome.candidates == ()
    state = d.state("v")
    assert state is not None and state.to_dict() == _tombstone("v", at(10))


def test_new_activity_starts_a_fresh_visitor_who_still_drops_old_echoes() -> None:
    d = _driver()
    old_echo = _invited_echo(d, "v", at(0), "p1")
    d.send(control("purge", "v", at(2)))
    fired = d.send(page_view("v", at(60), "https://e.com/help", event_id="p2"))
    assert _ids(fired) == ["invite"]
    state = d.state("v")
    assert state is not None and state.online and state.hits == 1 and state.visits == 1
    assert state.purged_at == parse_time(at(2))
    # the echo of the invitation fired before the purge arrives late: dropped
    outcome = d.engine.handle(state, _later(old_echo, 70))
    assert outcome.purged and outcome.candidates == () and state.invites_sent == 0
    # the fresh visitor's own invitation comes back and counts
    own = feedback_for(fired[0])
    assert isinstance(own, Event)
    assert _ids(d.send(_later(own, 1))) == ["invited"]
    assert state.invites_sent == 1 and state.chat_status == "invited"


def test_a_second_purge_fires_nothing_and_moves_the_tombstone() -> None:
    d = _driver()
    d.send(page_view("v", at(0)))
    assert _ids(d.send(control("purge", "v", at(2), event_id="x1"))) == ["purged"]
    # the same purge read again, then a later one: nothing left to fire on
    again = d.engine.handle(d.state("v"), control("purge", "v", at(2), event_id="x1"))
    assert again.purged and again.candidates == ()
    assert d.send(control("purge", "v", at(5))) == []
    state = d.state("v")
    assert state is not None and state.to_dict() == _tombstone("v", at(5))
    assert d.engine.handle(state, page_view("v", at(4))).purged


def test_purge_of_a_visitor_never_seen_leaves_a_tombstone() -> None:
    d = _driver()
    assert d.send(control("purge", "v", at(10))) == []
    assert d.engine.handle(d.state("v"), page_view("v", at(5))).purged
    assert d.send(page_view("v", at(11))) == []
    state = d.state("v")
    assert state is not None and state.online and state.visits == 1


def test_purge_then_remove() -> None:
    d = _driver()
    d.send(page_view("v", at(0)))
    d.send(control("purge", "v", at(2)))
    # a remove an action fired before the purge: dropped; one from outside: nothing to do
    caused = control("remove", "v", at(3), event_id="r1", caused_by=CAUSED)
    assert d.engine.handle(d.state("v"), caused).purged
    assert d.send(control("remove", "v", at(4))) == []
    state = d.state("v")
    assert state is not None and state.to_dict() == _tombstone("v", at(2))


def test_remove_then_purge() -> None:
    d = _driver()
    d.send(page_view("v", at(0)))
    assert _ids(d.send(control("remove", "v", at(2)))) == ["removed"]
    assert _ids(d.send(control("purge", "v", at(3)))) == ["purged"]
    state = d.state("v")
    assert state is not None and state.to_dict() == _tombstone("v", at(3))


def test_a_purge_cascade_feeds_back_nothing_that_revives_the_visitor() -> None:
    rules = [
        *_rules()[:3],
        rule("purged", event="online_visitor_purged", actions=[INVITE, LOG]),
        rule("purge-again", event="live_chat_invited", actions=[{"kind": "purge_from_list"}]),
    ]
    d = Driver(rules_of(*rules), feedback=True)
    d.send(page_view("v", at(0)))
    # purge -> "purged" fires an invitation: its chat_invited (fed back at once) is from
    # before the erasure and is dropped, so "invited" and "purge-again" never fire
    assert _ids(d.send(control("purge", "v", at(2)))) == ["purged", "purged"]
    state = d.state("v")
    assert state is not None and state.to_dict() == _tombstone("v", at(2))
    assert d.tick(at(600)) == []


def test_remove_then_invited_echo_keeps_the_visitor_off_the_list() -> None:
    d = _driver()
    echo = _invited_echo(d, "v", at(0), "p1")
    assert _ids(d.send(control("remove", "v", at(2)))) == ["removed"]
    # the visitor stays known and the invitation did go out: counted, its rule fires,
    # but it does not start a session
    assert _ids(d.send(_later(echo, 3))) == ["invited"]
    state = d.state("v")
    assert state is not None and not state.online and state.visits == 1
    assert state.invites_sent == 1 and state.removed_at == parse_time(at(2))
    assert d.tick(at(600)) == []  # no idle rule: not online
    # their own next page view brings them back
    d.send(page_view("v", at(700)))
    assert state.online and state.visits == 2 and state.removed_at is None


def test_remove_then_an_agents_invitation_starts_a_session_as_before() -> None:
    d = _driver()
    d.send(page_view("v", at(0)))
    d.send(control("remove", "v", at(2)))
    assert _ids(d.send(chat("chat_invited", "v", at(3), invitation_id="i1"))) == ["invited"]
    state = d.state("v")
    assert state is not None and state.online and state.visits == 2


def test_the_tombstone_expires() -> None:
    d = _driver(purge_memory=3600.0)
    d.send(page_view("v", at(0)))
    d.send(control("purge", "v", at(10)))
    engine = d.engine
    tombstone = d.state("v")
    assert tombstone is not None
    span = engine.quiet_span(tombstone)
    assert engine.span_holds(span, parse_time(at(3600)))
    assert not engine.span_holds(span, parse_time(at(3610)))
    assert engine.handle_tick(tombstone, parse_time(at(3609))).state is tombstone
    assert engine.handle_tick(tombstone, parse_time(at(3610))).state is None
    # read before a tick deleted it, an expired tombstone is as if never seen
    caused = chat("chat_invited", "v", at(4000), invitation_id="i1", caused_by=CAUSED)
    assert _ids(d.send(caused)) == ["invited"]
    fresh = d.state("v")
    assert fresh is not None and fresh.purged_at is None and fresh.online


def test_a_fresh_visitor_forgets_the_purge_once_it_expires() -> None:
    d = _driver(purge_memory=3600.0)
    d.send(control("purge", "v", at(0)))
    d.send(page_view("v", at(10), "https://e.com/help"))
    state = d.state("v")
    assert state is not None and state.purged_at is not None and state.issued
    d.send(page_view("v", at(3700)))
    assert state.purged_at is None and not state.issued and state.visits == 2


def test_session_end_leaves_the_tombstone_alone() -> None:
    d = _driver()
    d.send(control("purge", "v", at(0)))
    assert d.send(chat("session_end", "v", at(5))) == []
    state = d.state("v")
    assert state is not None and state.to_dict() == _tombstone("v", at(0))


def test_tombstone_and_purge_memory_survive_serialisation_and_old_states_load() -> None:
    d = _driver()
    d.send(control("purge", "v", at(0)))
    d.send(page_view("v", at(10), "https://e.com/help"))
    state = d.state("v")
    assert state is not None
    again = VisitorState.from_bytes(state.to_bytes())
    assert again == state and again.issued == state.issued and again.purged_at == state.purged_at
    # a state written before purges were remembered has none of the new fields
    old = VisitorState.from_bytes(b'{"visitor_id":"w","online":true,"hits":2,"visits":1}')
    assert old.purged_at is None and old.removed_at is None and not old.issued
    assert not old.is_tombstone and old.online and old.hits == 2
