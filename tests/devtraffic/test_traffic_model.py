"""The pure traffic model: valid SPEC §2 events, coherent visitor journeys, determinism."""

from __future__ import annotations

from collections import Counter, defaultdict
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from footfall.devtraffic import TrafficEvent, TrafficModel
from footfall.events.parsing import parse_event

START = datetime(2026, 11, 26, 9, 0, tzinfo=UTC)
VISITOR_TYPES = {"page_view", "identify", "session_end"}
ANSWERS = {"chat_invitation_accepted", "chat_invitation_rejected", "chat_invitation_ignored"}


def run(model: TrafficModel, n: int, step: float = 0.5) -> list[TrafficEvent]:
    return [model.step(START + timedelta(seconds=i * step)) for i in range(n)]


def test_same_seed_same_events_and_different_seed_different_events() -> None:
    first = run(TrafficModel(visitors=10, seed=7), 300)
    again = run(TrafficModel(visitors=10, seed=7), 300)
    other = run(TrafficModel(visitors=10, seed=8), 300)
    assert first == again
    assert [e.value for e in first] != [e.value for e in other]


def test_every_event_is_a_valid_spec_event_on_the_right_topic() -> None:
    events = run(TrafficModel(visitors=15, seed=1), 2000)
    kinds = Counter(e.value["type"] for e in events)
    # the journey covers every visitor and chat event type the trackers send
    assert set(kinds) == VISITOR_TYPES | ANSWERS | {
        "chat_invited",
        "chat_started",
        "chat_message",
        "chat_ended",
    }
    assert kinds["page_view"] > len(events) / 2
    for event in events:
        parsed = parse_event(event.value)
        assert parsed.visitor_id == event.key
        expected_topic = "visitor-events" if parsed.type in VISITOR_TYPES else "chat-events"
        assert event.topic == expected_topic
        assert parsed.event_id == event.value["event_id"]
    ids = [e.value["event_id"] for e in events]
    assert len(set(ids)) == len(ids)


def test_page_views_carry_realistic_visitor_fields() -> None:
    views = [e.value for e in run(TrafficModel(visitors=30, seed=2), 1500)]
    views = [v for v in views if v["type"] == "page_view"]
    for view in views:
        assert view["url"].startswith("https://www.example.com/")
        for name in ("title", "ip", "user_agent", "language", "country", "host_name"):
            assert view[name], name
    assert any("virtual_page" in v for v in views)
    assert len({v["country"] for v in views}) >= 5
    assert any(v.get("referrer", "").startswith("https://www.google.com") for v in views)
    browsers = {parse_event(v).browser for v in views}
    assert len(browsers - {None}) >= 3


def test_journeys_are_coherent_per_visitor() -> None:
    events = run(TrafficModel(visitors=12, seed=3), 4000)
    invited: dict[str, set[str]] = defaultdict(set)
    chatting: dict[str, bool] = defaultdict(bool)
    ended_sessions: set[tuple[str, str]] = set()
    sessions: dict[str, list[str]] = defaultdict(list)
    for event in events:
        v = event.value
        vid, session = v["visitor_id"], v["session_id"]
        assert (vid, session) not in ended_sessions, "event after session_end"
        if not sessions[vid] or sessions[vid][-1] != session:
            assert session not in sessions[vid], "an old session came back"
            sessions[vid].append(session)
            assert v["type"] == "page_view", "a session starts with a page view"
            chatting[vid] = False
        if v["type"] == "chat_invited":
            invited[vid].add(v["invitation_id"])
        if v["type"] in ANSWERS:
            assert v["invitation_id"] in invited[vid]
        if v["type"] == "chat_started":
            assert not chatting[vid]
            chatting[vid] = True
        if v["type"] in ("chat_message", "chat_ended"):
            assert chatting[vid]
            assert v["chat_id"]
        if v["type"] == "chat_ended":
            chatting[vid] = False
        if v["type"] == "session_end":
            ended_sessions.add((vid, session))
    assert any(len(s) > 1 for s in sessions.values()), "some visitors come back"


def test_keeps_about_the_requested_number_of_visitors_online() -> None:
    model = TrafficModel(visitors=25, seed=4)
    run(model, 200)
    online = []
    for i in range(1000):
        model.step(START + timedelta(seconds=100 + i))
        online.append(model.online)
    assert max(online) <= 25
    assert sum(online) / len(online) > 20
    assert model.emitted == 1200


def test_answers_invitations_sent_by_rules_once() -> None:
    model = TrafficModel(visitors=1, seed=5)
    first = model.step(START)
    assert model.invitation_received(first.key, "inv-rule-1", agent="bot", department="sales")
    assert not model.invitation_received("v-nobody", "inv-rule-2")
    answers = []
    for i in range(1, 400):
        event = model.step(START + timedelta(seconds=i))
        if event.value.get("invitation_id") == "inv-rule-1" and event.value["type"] in ANSWERS:
            answers.append(event)
    assert len(answers) == 1
    assert answers[0].value["department"] == "sales"
    assert answers[0].value["agent"] == "bot"
    # an invitation already answered is not answered again
    assert not model.invitation_received(first.key, "inv-rule-1")


def test_rule_invitations_are_answered_in_most_runs() -> None:
    answered = 0
    for seed in range(20):
        model = TrafficModel(visitors=1, seed=seed)
        first = model.step(START)
        assert model.invitation_received(first.key, "inv-x")
        for i in range(1, 40):
            event = model.step(START + timedelta(seconds=i))
            if event.value.get("invitation_id") == "inv-x" and event.value["type"] in ANSWERS:
                answered += 1
                break
    assert answered >= 10


def test_rejects_an_empty_pool() -> None:
    with pytest.raises(ValueError):
        TrafficModel(visitors=0)


@settings(max_examples=25, deadline=None)
@given(seed=st.integers(min_value=0, max_value=2**32), visitors=st.integers(1, 40))
def test_any_seed_gives_parseable_events(seed: int, visitors: int) -> None:
    for event in run(TrafficModel(visitors=visitors, seed=seed), 150):
        parse_event(event.value)
