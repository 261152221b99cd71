"""The fault drill's own logic: its fault plan and its checks, on records made up here."""

from __future__ import annotations

import sys
from pathlib import Path

BENCHMARKS = Path(__file__).resolve().parents[2] / "benchmarks"
if str(BENCHMARKS) not in sys.path:
    sys.path.insert(0, str(BENCHMARKS))

from drilling.collect import Execution, LiveRecord, Record  # noqa: E402
from drilling.expected import Expected  # noqa: E402
from drilling.faults import Fault, plan_faults  # noqa: E402
from drilling.ruleset import MATCH, Match, write_definitions  # noqa: E402
from drilling.verdict import judge  # noqa: E402
from footfall.engine import Command, RuleRef, Trigger  # noqa: E402
from footfall.engine.feedback import derive_id  # noqa: E402
from footfall.events import format_time  # noqa: E402
from footfall.rules import compile_rules, load_rule_files  # noqa: E402
from footfall.simulation import SimulationStats  # noqa: E402

T0 = 1_800_000_000.0


def command(
    cid: str, rule: str, kind: str, visitor: str, at: float, event_id: str | None = None
) -> Command:
    return Command(
        command_id=cid,
        rule=RuleRef(rule, rule, "v1", "admin", None),
        action_index=0,
        action_kind=kind,
        params={},
        visitor_id=visitor,
        trigger=Trigger("online_activity", "event" if event_id else "tick", event_id,
                        format_time(at)),
        facts={},
        fired_at=format_time(at),
        suppressed_since_last=0,
        caused_by=None,
    )  # fmt: skip


def on_actions(c: Command, delay: float = 0.05) -> Record:
    return Record(0, T0 + delay + (hash(c.command_id) % 10) / 100, c.visitor_id, c.to_dict())


def expected(*commands: Command, online: frozenset[str] = frozenset()) -> Expected:
    return Expected(list(commands), online, SimulationStats(), "footfall simulate ...")


def test_the_fault_plan_is_reproducible_and_spread_over_the_load() -> None:
    def plan(seed: int) -> list[tuple[float, str]]:
        plans = plan_faults(
            seed, 100.0, processors=["p1", "p2"], workers=["w1", "w2", "w3"],
            processor_kills=3, worker_kills=3, bounces=1,
        )  # fmt: skip
        return [(p.at, p.target) for p in plans]

    first = plan(7)
    assert first == plan(7)
    assert first != plan(8)
    targets = [target for _, target in first]
    assert sum(t.startswith("p") for t in targets) == 3
    assert sum(t.startswith("w") for t in targets) == 3
    assert targets.count("broker") == 1
    times = [at for at, _ in first]
    assert times == sorted(times)
    assert all(0 < at < 100 for at in times)


def test_every_rule_of_the_drill_says_how_it_is_compared_and_every_kind_is_used(
    tmp_path: Path,
) -> None:
    found = write_definitions(tmp_path, "http://127.0.0.1:1")
    rules = compile_rules(load_rule_files([str(found["rules"])]))
    assert set(rules.rules) == set(MATCH)
    kinds = {action.kind for rule in rules.rules.values() for action in rule.actions}
    assert kinds == {
        "call_web_page", "log_to_file", "send_email", "notify_external_provider",
        "use_my_notification_profile", "send_live_chat_invitation", "purge_from_list",
        "remove_from_list",
    }  # fmt: skip


def test_a_command_missing_from_actions_is_lost_and_one_present_is_not() -> None:
    kept = command("a" * 32, "drill-pricing-log", "log_to_file", "v1", T0, "e1")
    missing = command("b" * 32, "drill-pricing-log", "log_to_file", "v2", T0, "e2")
    live = LiveRecord(
        actions=[on_actions(kept)],
        executions=[Execution(kept.command_id, "log:pricing.log", None)],
    )
    verdict = judge(
        expected(kept, missing), live, produced={"e1", "e2"}, until=T0 + 100, settle=6,
        faults=[], whos_on=[],
    )  # fmt: skip
    assert verdict.lost_commands == [f"drill-pricing-log {missing.command_id}"]
    assert verdict.lost_executions == []
    assert verdict.failed
    assert verdict.last_line().startswith("lost commands: 1, lost executions: 0, duplicates: 0")


def test_tick_fired_commands_are_compared_by_rule_and_visitor() -> None:
    simulated = command("c" * 32, "drill-idle-remove", "remove_from_list", "v1", T0)
    live_copy = command("d" * 32, "drill-idle-remove", "remove_from_list", "v1", T0 + 2)
    other = command("e" * 32, "drill-idle-remove", "remove_from_list", "v2", T0)
    control = Record(0, T0 + 3, "v1", {"event_id": derive_id(live_copy.command_id, "control")})
    live = LiveRecord(actions=[on_actions(live_copy)], controls=[control])
    verdict = judge(
        expected(simulated, other), live, produced=set(), until=T0 + 100, settle=6,
        faults=[], whos_on=[],
    )  # fmt: skip
    assert MATCH["drill-idle-remove"] is Match.VISITOR
    assert verdict.lost_commands == ["drill-idle-remove visitor v2"]
    assert verdict.lost_executions == []  # the control message carried it out


def test_tick_fired_commands_at_the_very_end_are_not_compared() -> None:
    late = command("f" * 32, "drill-idle-remove", "remove_from_list", "v1", T0 + 97)
    verdict = judge(
        expected(late), LiveRecord(), produced=set(), until=T0 + 100, settle=6,
        faults=[], whos_on=[],
    )  # fmt: skip
    assert verdict.lost_commands == []
    assert verdict.not_compared == 1


def test_per_rule_throttled_commands_are_matched_within_one_window() -> None:
    window = 20.0
    simulated = [
        command(f"{n:032x}", "drill-sales-digest", "send_email", f"v{n}", T0 + n * window, "e")
        for n in range(3)
    ]
    # live admitted other candidates: 5 s later, and none for the last window
    live_commands = [
        command(f"{n + 10:032x}", "drill-sales-digest", "send_email", f"w{n}",
                T0 + n * window + 5, "e")
        for n in range(2)
    ]  # fmt: skip
    live = LiveRecord(
        actions=[on_actions(c) for c in live_commands],
        executions=[Execution(c.command_id, "mail:x", T0 + 60) for c in live_commands],
    )
    verdict = judge(
        expected(*simulated), live, produced={"e"}, until=T0 + 200, settle=6,
        faults=[], whos_on=[],
    )  # fmt: skip
    assert verdict.lost_commands == [f"drill-sales-digest (window at {T0 + 2 * window:.1f})"]


def test_a_command_with_no_execution_is_lost_and_repeats_are_duplicates() -> None:
    mailed = command("1" * 32, "drill-chat-started-mail", "send_email", "v1", T0, "e1")
    invited = command("2" * 32, "drill-invite-engaged", "send_live_chat_invitation", "v2", T0)
    called = command("3" * 32, "drill-checkout-call", "call_web_page", "v3", T0, "e3")
    live = LiveRecord(
        actions=[on_actions(c) for c in (mailed, invited, called)] + [on_actions(called, 1.0)],
        executions=[
            Execution(mailed.command_id, "mail:x", T0 + 1),
            Execution(mailed.command_id, "mail:x", T0 + 2),
            Execution(called.command_id, "web:/crm/checkout", T0 + 1),
        ],
    )
    verdict = judge(
        expected(mailed, invited, called), live, produced={"e1", "e3"}, until=T0 + 100,
        settle=6, faults=[], whos_on=[],
    )  # fmt: skip
    assert verdict.lost_executions == [
        f"drill-invite-engaged send_live_chat_invitation {invited.command_id}"
    ]
    assert verdict.duplicates == 1
    assert verdict.copies == 1


def test_whos_on_is_compared_with_the_visitors_simulate_leaves_online() -> None:
    verdict = judge(
        expected(online=frozenset({"v1", "v2"})), LiveRecord(), produced=set(),
        until=T0, settle=6, faults=[], whos_on=[{"visitor_id": "v1"}, {"visitor_id": "v3"}],
    )  # fmt: skip
    assert not verdict.whos_on_ok
    assert verdict.whos_on == "2 listed, 2 expected; 1 missing, 1 extra"


def test_recovery_is_the_slowest_partition_to_turn_new_events_into_commands() -> None:
    def at(partition: int, cid: str, event_time: float, written: float) -> Record:
        c = command(cid, "drill-pricing-log", "log_to_file", "v", event_time, "e")
        return Record(partition, written, "v", c.to_dict())

    live = LiveRecord(
        actions=[
            at(0, "a" * 32, T0 - 5, T0 + 1),  # an old event's command: not a recovery
            at(0, "b" * 32, T0 + 2, T0 + 3),
            at(1, "c" * 32, T0 + 1, T0 + 9),
        ],
        executions=[Execution("b" * 32, "web:x", T0 + 4), Execution("c" * 32, "web:x", T0 + 12)],
    )
    verdict = judge(
        expected(), live, produced=set(), until=T0 + 100, settle=6,
        faults=[Fault("processor-1", T0, T0 + 2)], whos_on=[],
    )  # fmt: skip
    assert verdict.recovery == [("processor-1", "9.0", "12.0")]


def test_a_tick_command_missing_for_a_visitor_whose_event_waited_is_overtaken_not_lost() -> None:
    from footfall.processor.partitioning import partition_for

    partition = partition_for(b"v1", 8)
    simulated = command("9" * 32, "drill-invite-engaged", "send_live_chat_invitation", "v1", T0)
    # another command of the same partition, written 10 s after its event (a fault)
    slow = command("8" * 32, "drill-pricing-log", "log_to_file", "v9", T0 - 3, "e9")
    live = LiveRecord(
        actions=[Record(partition, T0 + 7, "v9", slow.to_dict())],
        executions=[Execution(slow.command_id, "log:pricing.log", None)],
    )
    common = {"produced": {"e9"}, "until": T0 + 100, "settle": 6.0, "faults": [],
              "whos_on": [], "tick": 2.0, "partitions": 8}  # fmt: skip
    waited = judge(expected(simulated), live, visitor_events={"v1": [T0 - 1]}, **common)
    assert waited.overtaken == ["drill-invite-engaged visitor v1"]
    assert waited.lost_commands == []
    before = judge(expected(simulated), live, visitor_events={"v1": [T0 - 30]}, **common)
    assert before.lost_commands == ["drill-invite-engaged visitor v1"]
