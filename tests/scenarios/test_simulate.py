"""``footfall simulate`` end to end on the small rule and event files in ``data/``."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import orjson
import pytest

from footfall.cli.main import main
from footfall.engine import command_id
from footfall.engine.feedback import derive_id
from footfall.rules import compile_rules, load_rule_files

DATA = Path(__file__).parent / "data"
SENT_MS = 1772442060000  # 2026-03-02T09:01:00Z in milliseconds


@pytest.fixture(autouse=True)
def _default_timeouts(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("TICK", "IDLE_TIMEOUT", "INVITATION_TIMEOUT", "MAX_EVENT_BYTES"):
        monkeypatch.delenv(f"FOOTFALL_{name}", raising=False)


def simulate(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, list[Any], str]:
    code = main(["simulate", *args])
    captured = capsys.readouterr()
    commands = [orjson.loads(line) for line in captured.out.splitlines()]
    return code, commands, captured.err


def versions(name: str) -> dict[str, str]:
    rules = compile_rules(load_rule_files([DATA / name]))
    return {rule_id: rule.version for rule_id, rule in rules.rules.items()}


def summary(commands: list[Any]) -> list[tuple[str, str, str, str | None, str]]:
    return [
        (
            c["rule"]["id"],
            c["visitor_id"],
            c["trigger"]["source"],
            c["trigger"]["event_id"],
            c["trigger"]["time"],
        )
        for c in commands
    ]


def test_pricing_scenario(capsys: pytest.CaptureFixture[str]) -> None:
    code, commands, err = simulate(
        capsys,
        "--rules",
        str(DATA / "pricing-rules.yaml"),
        "--events",
        str(DATA / "pricing-events.jsonl"),
    )
    assert code == 0 and err == ""
    v = versions("pricing-rules.yaml")
    invite_id = command_id("invite-pricing", v["invite-pricing"], 0, "ann", "a2")
    invited_id = derive_id(invite_id, "chat_invited")
    invitation = derive_id(invite_id, "invitation")
    assert summary(commands) == [
        ("invite-pricing", "ann", "event", "a2", "2026-03-02T09:01:00.000Z"),
        ("log-invited", "ann", "event", invited_id, "2026-03-02T09:01:00.000Z"),
        (
            "chase-ignored",
            "ann",
            "event",
            f"timeout:{invitation}@{SENT_MS}",
            "2026-03-02T09:03:00.000Z",
        ),
        ("long-visit", "ann", "tick", None, "2026-03-02T09:03:30.000Z"),
        ("long-visit", "bob", "tick", None, "2026-03-02T09:03:30.000Z"),
        ("long-visit", "ann", "event", "a4", "2026-03-02T09:04:10.000Z"),
    ]
    invite, logged, chased, tick_ann, tick_bob, event_ann = commands
    assert invite["command_id"] == invite_id
    assert invite["action"] == {
        "index": 0,
        "kind": "send_live_chat_invitation",
        "params": {"message": "Hi Ann, questions about pricing?"},
    }
    assert invite["caused_by"] is None and invite["facts"]["hits"] == 2
    assert logged["caused_by"] == {"rule_id": "invite-pricing", "depth": 1}
    assert logged["facts"]["invites_sent"] == 1 and logged["facts"]["chat_status"] == "invited"
    assert chased["action"]["params"]["body"] == (
        "1 ignored, last on https://shop.example.com/pricing/enterprise"
    )
    assert chased["caused_by"] == {"rule_id": "invite-pricing", "depth": 1}
    assert tick_ann["command_id"] == command_id(
        "long-visit", v["long-visit"], 0, "ann", "tick:2026-03-02T09:03:30.000Z"
    )
    assert tick_ann["command_id"] != tick_bob["command_id"]
    assert event_ann["command_id"] == command_id("long-visit", v["long-visit"], 0, "ann", "a4")
    assert tick_ann["facts"]["duration_minutes"] == 3.42
    assert tick_ann["action"]["params"]["url"] == "https://hooks.example.com/long?v=ann"


def test_same_input_same_output(capsys: pytest.CaptureFixture[str]) -> None:
    args = ("--rules", str(DATA / "pricing-rules.yaml"), "--events")
    _, first, _ = simulate(capsys, *args, str(DATA / "pricing-events.jsonl"))
    _, second, _ = simulate(capsys, *args, str(DATA / "pricing-events.jsonl"))
    assert first == second and len(first) == 6


def test_shorter_tick_and_invitation_timeout_from_settings(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("FOOTFALL_INVITATION_TIMEOUT", "0")
    code, commands, _ = simulate(
        capsys,
        "--rules",
        str(DATA / "pricing-rules.yaml"),
        "--events",
        str(DATA / "pricing-events.jsonl"),
        "--tick",
        "10s",
    )
    assert code == 0
    assert [(c["rule"]["id"], c["visitor_id"], c["trigger"]["time"]) for c in commands] == [
        ("invite-pricing", "ann", "2026-03-02T09:01:00.000Z"),
        ("log-invited", "ann", "2026-03-02T09:01:00.000Z"),
        ("long-visit", "ann", "2026-03-02T09:03:10.000Z"),
        ("long-visit", "bob", "2026-03-02T09:03:10.000Z"),
        ("long-visit", "ann", "2026-03-02T09:04:10.000Z"),
    ]


def test_remove_feeds_back_and_until_extends_ticks(capsys: pytest.CaptureFixture[str]) -> None:
    code, commands, _ = simulate(
        capsys,
        "--rules",
        str(DATA / "remove-rules.yaml"),
        "--events",
        str(DATA / "remove-events.jsonl"),
        "--until",
        "2026-03-02T10:06:00Z",
    )
    assert code == 0
    v = versions("remove-rules.yaml")
    first_remove = command_id("remove-bots", v["remove-bots"], 0, "crawler", "c1")
    assert summary(commands) == [
        ("remove-bots", "crawler", "event", "c1", "2026-03-02T10:00:00.000Z"),
        (
            "note-removal",
            "crawler",
            "event",
            derive_id(first_remove, "control"),
            "2026-03-02T10:00:00.000Z",
        ),
        ("remove-bots", "crawler", "event", "c2", "2026-03-02T10:00:20.000Z"),
        (
            "note-removal",
            "crawler",
            "event",
            derive_id(commands[2]["command_id"], "control"),
            "2026-03-02T10:00:20.000Z",
        ),
        ("idle-visitors", "human", "tick", None, "2026-03-02T10:05:30.000Z"),
    ]
    # the removed crawler came back in a new session: 1 hit, and never idled on a tick
    assert commands[3]["action"]["params"]["line"] == "crawler removed after 1 hits"
    assert commands[3]["facts"]["visits"] == 2
    # without --until the ticks stop at the last event
    _, short, _ = simulate(
        capsys,
        "--rules",
        str(DATA / "remove-rules.yaml"),
        "--events",
        str(DATA / "remove-events.jsonl"),
    )
    assert [c["rule"]["id"] for c in short] == [c["rule"]["id"] for c in commands[:4]]


def test_invalid_lines_are_reported_and_skipped(capsys: pytest.CaptureFixture[str]) -> None:
    code, commands, err = simulate(
        capsys,
        "--rules",
        str(DATA / "every-page.yaml"),
        "--events",
        str(DATA / "mixed-events.jsonl"),
    )
    assert code == 0
    assert [c["facts"]["current_page"] for c in commands] == ["https://e.com/", "https://e.com/x"]
    lines = err.splitlines()
    assert [line.split(":")[0] for line in lines[:4]] == ["line 2", "line 3", "line 5", "line 6"]
    assert "not_json" in lines[0] and "bad_time" in lines[1]
    assert "missing_field" in lines[2] and "unknown_type" in lines[3]
    assert lines[4] == "4 invalid lines were skipped"


def test_events_from_stdin(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    import io

    monkeypatch.setattr("sys.stdin", io.StringIO((DATA / "remove-events.jsonl").read_text()))
    code, commands, _ = simulate(capsys, "--rules", str(DATA / "every-page.yaml"))
    assert code == 0 and len(commands) == 3


def test_invalid_rule_exits_2_with_the_validation_errors(
    capsys: pytest.CaptureFixture[str],
) -> None:
    code, commands, err = simulate(
        capsys,
        "--rules",
        str(DATA / "broken-rule.yaml"),
        "--events",
        str(DATA / "pricing-events.jsonl"),
    )
    assert code == 2 and commands == []
    assert "broken: when.hits: unknown operator 'gtee'" in err


def test_profiles_and_providers_are_checked(capsys: pytest.CaptureFixture[str]) -> None:
    events = DATA / "remove-events.jsonl"
    code, commands, err = simulate(
        capsys,
        "--rules",
        str(DATA / "profile-rules.yaml"),
        "--events",
        str(events),
        "--profiles",
        str(DATA / "profiles.yaml"),
        "--providers",
        str(DATA / "providers.yaml"),
    )
    assert code == 0 and commands == []
    assert err.splitlines() == [
        "warning: tell-alice: actions[0]: no notification profile 'agent:alice'",
        "warning: tell-crm: actions[0]: provider 'crm' is not defined",
    ]
    code, commands, err = simulate(
        capsys,
        "--rules",
        str(DATA / "profile-rules.yaml"),
        "--events",
        str(events),
        "--profiles",
        str(DATA / "bad-profiles.yaml"),
    )
    assert code == 2 and commands == []
    assert "agent:alice: emails[0]" in err


def test_chat_scenario_with_purge(capsys: pytest.CaptureFixture[str]) -> None:
    code, commands, err = simulate(
        capsys,
        "--rules",
        str(DATA / "chat-rules.yaml"),
        "--events",
        str(DATA / "chat-events.jsonl"),
    )
    assert code == 0 and err == ""
    assert summary(commands) == [
        ("accepted", "cat", "event", "c2", "2026-03-02T11:00:20.000Z"),
        ("refund-words", "cat", "event", "c4", "2026-03-02T11:00:30.000Z"),
        ("purged", "cat", "event", "x1", "2026-03-02T11:02:00.000Z"),
        ("purged", "cat", "event", "x2", "2026-03-02T11:04:00.000Z"),
    ]
    accepted, refund, first_purge, second_purge = commands
    assert accepted["action"]["params"]["subject"] == "Cat accepted alice's invitation"
    assert accepted["action"]["params"]["body"] == "status chatting, 1 accepted of 1"
    # "Refunding" is not the whole word "refund": the agent's message does not fire
    assert refund["action"]["params"]["line"] == "cat: I'd like a refund please"
    assert first_purge["action"]["params"]["line"] == (
        "cat purged after 1 visit(s), last chat 2026-03-02T11:00:22.000Z"
    )
    assert first_purge["facts"]["chat_status"] == "ended"
    # after a purge nothing is remembered: a new visitor with one visit and no chats
    assert second_purge["action"]["params"]["line"] == "cat purged after 1 visit(s), last chat "
    assert "customer_name" not in second_purge["facts"]


def test_purge_is_final_for_what_came_before_it(capsys: pytest.CaptureFixture[str]) -> None:
    # dan: purged, then the echo of an invitation sent before the purge, and a late chat
    # event from before it, arrive: neither brings dan back (no invited, no idle rule);
    # dan's next page view is a new visitor, and an old echo after it changes nothing.
    # fay: one page view fires a purge and an invitation; the purge is fed back first.
    code, commands, err = simulate(
        capsys,
        "--rules",
        str(DATA / "purge-rules.yaml"),
        "--events",
        str(DATA / "purge-events.jsonl"),
        "--until",
        "2026-03-02T12:22:00Z",
    )
    assert code == 0 and err == ""
    v = versions("purge-rules.yaml")
    fay_purge = derive_id(command_id("forget-me", v["forget-me"], 0, "fay", "f1"), "control")
    assert summary(commands) == [
        ("welcome", "dan", "event", "d1", "2026-03-02T12:00:00.000Z"),
        ("purged", "dan", "event", "x1", "2026-03-02T12:00:05.000Z"),
        ("forget-me", "fay", "event", "f1", "2026-03-02T12:01:00.000Z"),
        ("invite-help", "fay", "event", "f1", "2026-03-02T12:01:00.000Z"),
        ("welcome", "fay", "event", "f1", "2026-03-02T12:01:00.000Z"),
        ("purged", "fay", "event", fay_purge, "2026-03-02T12:01:00.000Z"),
        ("welcome", "dan", "event", "d2", "2026-03-02T12:20:00.000Z"),
    ]
    # the new visit starts from nothing: the first visit footfall knows of
    assert commands[-1]["action"]["params"]["line"] == "dan visit 1"
    assert commands[-1]["facts"]["hits"] == 1 and commands[-1]["facts"]["invites_sent"] == 0


def test_tick_and_idle_timeout_from_the_environment(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("FOOTFALL_TICK", "20s")
    monkeypatch.setenv("FOOTFALL_IDLE_TIMEOUT", "4m")
    code, commands, _ = simulate(
        capsys,
        "--rules",
        str(DATA / "remove-rules.yaml"),
        "--events",
        str(DATA / "remove-events.jsonl"),
        "--until",
        "2026-03-02T10:20:00Z",
    )
    assert code == 0
    # the idle rule (5 minutes) can no longer rise: the visitor leaves after 4 minutes
    assert [c["rule"]["id"] for c in commands] == [
        "remove-bots",
        "note-removal",
        "remove-bots",
        "note-removal",
    ]
    monkeypatch.setenv("FOOTFALL_IDLE_TIMEOUT", "15m")
    _, commands, _ = simulate(
        capsys,
        "--rules",
        str(DATA / "remove-rules.yaml"),
        "--events",
        str(DATA / "remove-events.jsonl"),
        "--until",
        "2026-03-02T10:20:00Z",
    )
    # 20 s ticks: the first tick at or after 10:05:10 is 10:05:20
    assert [(c["rule"]["id"], c["trigger"]["time"]) for c in commands][-1] == (
        "idle-visitors",
        "2026-03-02T10:05:20.000Z",
    )


def test_progress_only_on_a_terminal(capsys: pytest.CaptureFixture[str]) -> None:
    import io

    from footfall.cli.simulate import simulate_lines
    from footfall.simulation import Simulation

    rules = compile_rules(load_rule_files([DATA / "every-page.yaml"]))
    lines = (DATA / "remove-events.jsonl").read_text().splitlines()
    quiet = io.StringIO()
    list(simulate_lines(lines, Simulation(rules), errors=quiet, progress=False))
    assert quiet.getvalue() == ""
    loud = io.StringIO()
    list(simulate_lines(lines, Simulation(rules), errors=loud, progress=True))
    assert loud.getvalue() == "\r3 lines, 3 commands\n"
    main(
        [
            "simulate",
            "--rules",
            str(DATA / "every-page.yaml"),
            "--events",
            str(DATA / "remove-events.jsonl"),
        ]
    )
    assert "\r" not in capsys.readouterr().err  # captured stderr is not a terminal


def test_commands_fired_on_ticks_feed_back_too() -> None:
    from footfall.simulation import Simulation
    from footfall.testing import at, page_view, rule, rules_of

    rules = rules_of(
        rule(
            "linger",
            when={"duration_minutes": {"gte": 1}},
            actions=[{"kind": "send_live_chat_invitation", "message": "still there?"}],
        ),
        rule("invited", event="live_chat_invited"),
        rule("ignored", event="live_chat_invitation_ignored"),
    )
    sim = Simulation(rules, tick=30.0)
    commands = list(sim.feed(page_view("v1", at(0), event_id="p1")))
    commands += sim.finish(sim.clock + 300)  # type: ignore[operator]
    assert [(c.rule.id, c.trigger.source, c.trigger.time) for c in commands] == [
        ("linger", "tick", at(60)),
        ("invited", "event", at(60)),
        ("ignored", "event", at(180)),
    ]
    assert commands[1].trigger.event_id == derive_id(commands[0].command_id, "chat_invited")
    assert sim.stats.fed_back == 1 and sim.stats.synthesised == 1
    assert sim.states["v1"].invites_sent == 1 and sim.states["v1"].invites_ignored == 1
