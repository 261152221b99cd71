from __future__ import annotations

import orjson

from footfall.engine import (
    Candidate,
    Command,
    Engine,
    RuleThrottle,
    admit,
    feedback_for,
)
from footfall.engine.feedback import derive_id
from footfall.events import Control, Event, parse_message
from footfall.testing import BASE_TIME, Driver, at, email_action, page_view, rule, rules_of


def candidates_for(*raw: dict[str, object], event: Event | None = None) -> list[Candidate]:
    engine = Engine(rules_of(*raw))
    outcome = engine.handle_event(None, event or page_view("v1", at(0), event_id="e1"))
    return list(outcome.candidates)


def test_candidate_round_trips_through_its_dict() -> None:
    (candidate,) = candidates_for(rule("r", actions=[email_action(max_frequency="1m")]))
    assert candidate.needs_rule_throttle and candidate.throttle_key == "r#0"
    again = Candidate.from_dict(orjson.loads(orjson.dumps(candidate.to_dict())))
    assert again.command == candidate.command
    assert again.throttle_key == "r#0" and again.needs_rule_throttle
    assert again.now == candidate.now == BASE_TIME


def test_command_round_trips_through_json() -> None:
    (candidate,) = candidates_for(rule("r"))
    command = candidate.command
    assert Command.from_json(command.to_json()) == command
    assert not candidate.needs_rule_throttle


def test_admit_is_a_pure_function_of_mark_and_candidate() -> None:
    (first,) = candidates_for(rule("r", actions=[email_action(max_frequency="1m")]))
    mark, command = admit(None, first)
    assert command is not None and command.suppressed_since_last == 0
    assert mark == [BASE_TIME + 60, 0]
    same_mark, suppressed = admit(mark, first)
    assert suppressed is None and same_mark == [BASE_TIME + 60, 1]
    assert mark == [BASE_TIME + 60, 0]  # the given mark is not changed
    (later,) = candidates_for(
        rule("r", actions=[email_action(max_frequency="1m")]),
        event=page_view("v2", at(61), event_id="e2"),
    )
    _, command = admit(same_mark, later)
    assert command is not None and command.suppressed_since_last == 1


def test_rule_throttle_state_round_trips() -> None:
    throttle = RuleThrottle()
    (candidate,) = candidates_for(rule("r", actions=[email_action(max_frequency="1h")]))
    assert throttle.admit(candidate) is not None
    restored = RuleThrottle.from_dict(orjson.loads(orjson.dumps(throttle.to_dict())))
    assert restored.admit(candidate) is None
    restored.forget("r")
    assert restored.admit(candidate) is not None


def test_derived_ids_match_the_workers() -> None:
    import hashlib

    from footfall.worker.command import derive_id as worker_derive_id

    for purpose in ("invitation", "chat_invited", "control"):
        assert derive_id("abc", purpose) == worker_derive_id("abc", purpose)
        assert (
            derive_id("abc", purpose)
            == (hashlib.sha256(f"{purpose}:abc".encode()).hexdigest()[:32])
        )


def test_feedback_events() -> None:
    d = Driver(
        rules_of(
            rule(
                "invite",
                actions=[
                    {"kind": "send_live_chat_invitation", "message": "hi", "agent": "alice"},
                    {"kind": "remove_from_list"},
                    {"kind": "purge_from_list"},
                    email_action(),
                ],
            )
        )
    )
    invite, remove, purge, email = d.send(page_view("v1", at(5), event_id="e1"))
    invited = feedback_for(invite)
    assert isinstance(invited, Event)
    assert invited.type == "chat_invited"
    assert invited.invitation_id == derive_id(invite.command_id, "invitation")
    assert invited.event_id == derive_id(invite.command_id, "chat_invited")
    assert invited.invitation_id != invited.event_id
    assert invited.source == "rule:invite" and invited.agent == "alice"
    assert invited.caused_by is not None and invited.caused_by.rule_id == "invite"
    assert invited.caused_by.depth == 1 and invited.time == BASE_TIME + 5
    removed = feedback_for(remove)
    assert isinstance(removed, Control) and removed.type == "remove"
    assert removed.event_id == derive_id(remove.command_id, "control")
    purged = feedback_for(purge)
    assert isinstance(purged, Control) and purged.type == "purge"
    assert purged.event_id == derive_id(purge.command_id, "control")
    assert feedback_for(email) is None
    # what workers publish parses back to the same thing
    from footfall.events import encode

    assert parse_message(encode(invited)) == invited
    assert parse_message(encode(removed)) == removed


def test_replacing_rules_keeps_state_and_reevaluates() -> None:
    engine = Engine(rules_of(rule("a", when={"duration_minutes": {"gte": 1}})))
    d = Driver(engine)
    d.send(page_view("v1", at(0)))
    assert [c.rule.id for c in d.tick(at(60))] == ["a"]
    engine.rules = rules_of(
        rule("a", when={"duration_minutes": {"gte": 1}}),
        rule("b", when={"hits": {"gte": 1}}),
    )
    # "a" still holds (no new edge); "b" is new for this visitor: it rises
    assert [c.rule.id for c in d.tick(at(90))] == ["b"]
    assert d.tick(at(120)) == []


def test_command_rule_header_follows_the_rule_version() -> None:
    engine = Engine(rules_of(rule("a", name="First")))
    d = Driver(engine)
    (one,) = d.send(page_view("v1", at(0), event_id="e1"))
    (two,) = d.send(page_view("v2", at(1), event_id="e2"))
    assert one.rule == two.rule
    assert (one.rule.id, one.rule.name, one.rule.owner_role) == ("a", "First", "admin")
    engine.rules = rules_of(rule("a", name="Second"))
    (three,) = d.send(page_view("v3", at(2), event_id="e3"))
    assert (three.rule.id, three.rule.name) == ("a", "Second")
    assert three.rule.version != one.rule.version
    assert orjson.loads(three.to_json())["rule"]["name"] == "Second"
