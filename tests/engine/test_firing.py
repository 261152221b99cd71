from __future__ import annotations

import orjson

from footfall.engine import Engine, EngineConfig
from footfall.events import parse_time
from footfall.testing import Driver, at, chat, control, email_action, page_view, rule, rules_of


def test_event_rules_fire_every_time_they_hold() -> None:
    d = Driver(rules_of(rule("r", when={"hits": {"gte": 2}})))
    assert d.send(page_view("v1", at(0))) == []
    assert len(d.send(page_view("v1", at(1)))) == 1
    assert len(d.send(page_view("v1", at(2)))) == 1


def test_tick_fires_only_on_a_rising_edge() -> None:
    d = Driver(rules_of(rule("long", when={"duration_minutes": {"gte": 1}})))
    d.send(page_view("v1", at(0)))
    assert d.tick(at(30)) == []
    fired = d.tick(at(60))
    assert [c.trigger.source for c in fired] == ["tick"]
    assert fired[0].trigger.event_id is None and fired[0].trigger.time == at(60)
    assert d.tick(at(90)) == []
    # a page view fires again (events fire every time), and keeps the edge high
    assert len(d.send(page_view("v1", at(100)))) == 1
    assert d.tick(at(120)) == []


def test_rising_edge_after_falling() -> None:
    d = Driver(rules_of(rule("idle", when={"idle_minutes": {"gte": 1}})))
    d.send(page_view("v1", at(0)))
    assert len(d.tick(at(60))) == 1
    d.send(page_view("v1", at(70)))  # idle drops to 0: no longer holds
    assert d.tick(at(90)) == []
    assert len(d.tick(at(130))) == 1


def test_time_independent_rule_does_not_fire_on_ticks_after_event() -> None:
    d = Driver(rules_of(rule("pricing", when={"current_page": {"contains": "/pricing"}})))
    assert len(d.send(page_view("v1", at(0), "https://e.com/pricing"))) == 1
    assert d.tick(at(30)) == [] and d.tick(at(60)) == []


def test_rule_holding_after_a_chat_event_rises_on_the_next_tick() -> None:
    d = Driver(rules_of(rule("invited", when={"chat_status": {"eq": "invited"}})))
    assert d.send(page_view("v1", at(0))) == []
    d.send(chat("chat_invited", "v1", at(5), invitation_id="i1"))
    assert len(d.tick(at(30))) == 1
    assert d.tick(at(60)) == []


def test_disabled_rules_never_fire() -> None:
    d = Driver(rules_of(rule("off", enabled=False)))
    assert d.send(page_view("v1", at(0))) == []


def test_throttle_per_visitor_counts_suppressed() -> None:
    d = Driver(rules_of(rule("r", actions=[email_action(max_frequency="1m", per="visitor")])))
    first = d.send(page_view("v1", at(0)))
    other = d.send(page_view("v2", at(1)))
    assert len(first) == 1 and len(other) == 1
    assert d.send(page_view("v1", at(10)), page_view("v1", at(20))) == []
    again = d.send(page_view("v1", at(60)))
    assert len(again) == 1 and again[0].suppressed_since_last == 2
    assert first[0].suppressed_since_last == 0


def test_throttle_per_rule_holds_across_visitors() -> None:
    d = Driver(rules_of(rule("r", actions=[email_action(max_frequency="1m")])))
    assert len(d.send(page_view("v1", at(0)))) == 1
    assert d.send(page_view("v2", at(10)), page_view("v3", at(20))) == []
    again = d.send(page_view("v4", at(61)))
    assert len(again) == 1 and again[0].suppressed_since_last == 2
    assert again[0].visitor_id == "v4"


def test_zero_max_frequency_means_every_time() -> None:
    d = Driver(rules_of(rule("r", actions=[email_action(max_frequency="0")])))
    assert len(d.send(page_view("v1", at(0)), page_view("v1", at(1)))) == 2


def test_remove_fires_with_state_before_and_keeps_lifetime_data() -> None:
    d = Driver(rules_of(rule("gone", event="online_visitor_removed", when={"hits": {"eq": 2}})))
    d.send(page_view("v1", at(0), customer={"name": "Ann"}), page_view("v1", at(1)))
    fired = d.send(control("remove", "v1", at(2)))
    assert [c.rule.id for c in fired] == ["gone"]
    assert fired[0].facts["hits"] == 2 and fired[0].facts["customer_name"] == "Ann"
    s = d.state("v1")
    assert s is not None and not s.online and s.customer_name == "Ann" and s.visits == 1
    assert d.send(control("remove", "v1", at(3))) == []  # not online any more


def test_purge_fires_then_erases_everything() -> None:
    d = Driver(rules_of(rule("purged", event="online_visitor_purged")))
    d.send(page_view("v1", at(0)))
    fired = d.send(control("purge", "v1", at(2)))
    assert [c.rule.id for c in fired] == ["purged"]
    assert fired[0].facts["hits"] == 1
    # all that is left is a tombstone: the id and the purge time, no personal data
    s = d.state("v1")
    assert s is not None and s.to_dict() == {"visitor_id": "v1", "purged_at": parse_time(at(2))}
    assert d.send(control("purge", "v1", at(3))) == []


INVITE = {"kind": "send_live_chat_invitation", "message": "Hi {{visitor_id}}"}


def test_invitation_feeds_back_and_cascades_with_depth() -> None:
    rules = rules_of(
        rule("invite", actions=[INVITE]),
        rule("on-invited", event="live_chat_invited", actions=[INVITE]),
    )
    d = Driver(Engine(rules, EngineConfig(invitation_timeout=0)), feedback=True)
    fired = d.send(page_view("v1", at(0)))
    # invite (depth 0) -> chat_invited d1 -> on-invited -> d2 -> on-invited? no:
    # a rule never fires on an event it caused itself.
    assert [(c.rule.id, c.caused_by and c.caused_by.depth) for c in fired] == [
        ("invite", None),
        ("on-invited", 1),
    ]
    assert fired[1].caused_by is not None and fired[1].caused_by.rule_id == "invite"
    assert d.states["v1"].invites_sent == 2


def test_cascades_stop_beyond_depth_three() -> None:
    rules = rules_of(
        rule("a", event="live_chat_invited", actions=[INVITE]),
        rule("b", event="live_chat_invited", actions=[INVITE]),
    )
    d = Driver(Engine(rules, EngineConfig(invitation_timeout=0)), feedback=True)
    fired = d.send(chat("chat_invited", "v1", at(0), invitation_id="manual"))
    depths = [0 if c.caused_by is None else c.caused_by.depth for c in fired]
    assert depths == [0, 0, 1, 1, 2, 2, 3, 3]
    assert max(depths) == 3
    # each command at depth d was caused by the other rule
    for c in fired:
        if c.caused_by is not None:
            assert c.caused_by.rule_id != c.rule.id


def test_command_ids_deterministic_and_distinct() -> None:
    rules = rules_of(
        rule("r1", actions=[email_action(), email_action(subject="second")]),
        rule("r2"),
    )

    def run() -> list[str]:
        d = Driver(rules)
        d.send(page_view("v1", at(0), event_id="e1"), page_view("v2", at(0), event_id="e1"))
        d.send(page_view("v1", at(1)))
        return [c.command_id for c in d.commands]

    ids = run()
    assert ids == run()
    assert len(ids) == 9 and len(set(ids)) == 9


def test_command_format_and_fact_types() -> None:
    d = Driver(
        rules_of(
            rule(
                "r",
                timezone="Europe/Berlin",
                owner={"role": "agent", "id": "alice"},
                actions=[email_action()],
            )
        )
    )
    d.send(chat("chat_invited", "v1", at(0), invitation_id="i"))
    (command,) = d.send(
        page_view(
            "v1",
            at(90),
            "https://e.com/p",
            event_id="e9",
            ip="10.1.2.3",
            customer={"email": "a@e.com"},
        )
    )
    data = orjson.loads(command.to_json())
    assert list(data) == [
        "command_id",
        "rule",
        "action",
        "visitor_id",
        "trigger",
        "facts",
        "fired_at",
        "suppressed_since_last",
        "caused_by",
    ]
    assert data["rule"]["owner"] == {"role": "agent", "id": "alice"}
    assert data["action"] == {
        "index": 0,
        "kind": "send_email",
        "params": {"to": ["sales@example.com"], "subject": "v1 1", "body": "on https://e.com/p"},
    }
    assert data["trigger"] == {
        "event": "online_activity",
        "source": "event",
        "event_id": "e9",
        "time": at(90),
    }
    facts = data["facts"]
    assert facts["time_of_day"] == "09:01" and facts["day_of_week"] == "mon"
    assert facts["hits"] == 1 and isinstance(facts["hits"], int)
    assert facts["invites_sent"] == 1 and facts["invites_accepted"] == 0
    assert facts["duration_minutes"] == 1.5 and facts["idle_minutes"] == 0.0
    assert facts["session_start"] == at(0) and facts["invitation_last_sent"] == at(0)
    assert facts["ip"] == "10.1.2.3" and facts["customer_email"] == "a@e.com"
    assert facts["chat_status"] == "invited" and facts["visits"] == 1
    assert "country" not in facts and "customer_name" not in facts
    assert data["fired_at"] == at(90) and data["caused_by"] is None
