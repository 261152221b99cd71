"""The drill's checks and its table.

- lost commands: each command the simulation fires must be on ``actions``, compared as
  its rule says (:mod:`drilling.ruleset`): by command id; by (rule, action, visitor);
  or, throttled per rule, each simulated command needs its own live command of the
  same rule action fired within one window of it. A command of a visitor that a rule
  removed or purged before it is compared by (rule, action, visitor): the live removal
  happens when a worker carries it out, later than in the simulation, so events in
  between meet another state. Commands the simulation fires on ticks or by fed-back
  events in the last ``settle`` seconds before the end are not compared (the live
  system may not have ticked there yet).
- overtaken: a tick is read beside a partition's events, not after them, so an event
  that waited in Kafka (a fault) can be handled after a later tick: that tick saw the
  visitor without it. A command compared by (rule, action, visitor) that is missing
  for a visitor with an event inside such a wait is counted as overtaken, not lost.
  The waits are taken from the commands themselves: a command written more than one
  tick interval after its event's time means its partition held events back from the
  event's time until the command was written.
- lost executions: each distinct command on ``actions`` must have been carried out at
  its sink: ``Idempotency-Key`` at the webhook sink, ``Message-ID`` at the SMTP sink,
  ``command_id`` in a log line, the invitation on ``chat-invitations``, the control
  message (``event_id`` derived from the command id) on ``control``.
- duplicates: executions beyond the first of one command at one place (allowed).
"""

from __future__ import annotations

import bisect
import math
import statistics
from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from drilling.collect import Execution, LiveRecord, Record
from drilling.expected import Expected
from drilling.faults import Fault
from drilling.ruleset import MATCH, RULE_WINDOWS, Match
from footfall.engine.feedback import derive_id
from footfall.events import parse_time
from footfall.processor.partitioning import partition_for

__all__ = ["Verdict", "judge"]

_CONTROL_KINDS = ("remove_from_list", "purge_from_list")
_WEB_KINDS = ("call_web_page", "notify_external_provider")
_MAIL_KINDS = ("send_email", "use_my_notification_profile")


@dataclass(slots=True)
class Verdict:
    """The figures of one drill."""

    expected: int = 0
    compared: Counter[str] = field(default_factory=Counter)
    not_compared: int = 0
    lost_commands: list[str] = field(default_factory=list)
    overtaken: list[str] = field(default_factory=list)
    live_commands: int = 0
    copies: int = 0
    extra_commands: int = 0
    lost_executions: list[str] = field(default_factory=list)
    executions: int = 0
    duplicates: int = 0
    dead_letters: Counter[str] = field(default_factory=Counter)
    whos_on: str = ""
    whos_on_ok: bool = True
    recovery: list[tuple[str, str, str]] = field(default_factory=list)
    latency: dict[str, tuple[float, float, int]] = field(default_factory=dict)

    @property
    def failed(self) -> bool:
        return bool(self.lost_commands or self.lost_executions)

    def last_line(self) -> str:
        dead = sum(self.dead_letters.values())
        return (
            f"lost commands: {len(self.lost_commands)}, "
            f"lost executions: {len(self.lost_executions)}, "
            f"duplicates: {self.duplicates}, dead letters: {dead}, "
            f"who's on: {'ok' if self.whos_on_ok else 'differs'}"
        )


def _first_copies(actions: list[Record]) -> tuple[dict[str, Record], int]:
    first: dict[str, Record] = {}
    copies = 0
    for record in actions:
        if not isinstance(record.value, dict) or "command_id" not in record.value:
            continue
        cid = record.value["command_id"]
        seen = first.get(cid)
        if seen is None or record.timestamp < seen.timestamp:
            first[cid] = record
        if seen is not None:
            copies += 1
    return first, copies


def _key(data: dict[str, Any]) -> tuple[str, int, str]:
    return (data["rule"]["id"], int(data["action"]["index"]), data["visitor_id"])


def _overtaken(
    live: dict[str, Record],
    visitor_events: dict[str, list[float]],
    produced: set[str],
    tick: float,
    partitions: int,
) -> set[str]:
    """Visitors with an event that a tick may have overtaken (see the module docstring)."""
    waits: dict[int, list[tuple[float, float]]] = defaultdict(list)
    for record in live.values():
        trigger = record.value["trigger"]
        if trigger.get("event_id") not in produced:
            continue
        began = parse_time(trigger["time"])
        if record.timestamp - began > tick:
            waits[record.partition].append((began - tick, record.timestamp + tick))
    merged: dict[int, tuple[list[float], list[float]]] = {}
    for partition, spans in waits.items():
        starts: list[float] = []
        ends: list[float] = []
        for start, end in sorted(spans):
            if ends and start <= ends[-1]:
                ends[-1] = max(ends[-1], end)
            else:
                starts.append(start)
                ends.append(end)
        merged[partition] = (starts, ends)
    found = set()
    for visitor, times in visitor_events.items():
        held = merged.get(partition_for(visitor.encode(), partitions))
        if held is None:
            continue
        for t in times:
            n = bisect.bisect_right(held[0], t) - 1
            if n >= 0 and t <= held[1][n]:
                found.add(visitor)
                break
    return found


def _compare_commands(
    verdict: Verdict,
    expected: Expected,
    live: dict[str, Record],
    produced: set[str],
    until: float,
    settle: float,
    overtaken: set[str],
) -> None:
    by_key: dict[tuple[str, int, str], int] = Counter(_key(r.value) for r in live.values())
    live_times: dict[tuple[str, int], list[float]] = defaultdict(list)
    for record in live.values():
        rule, index, _ = _key(record.value)
        live_times[(rule, index)].append(parse_time(record.value["fired_at"]))
    controlled: dict[str, float] = {}  # visitor -> first removal/purge by a rule (sim)
    window_expected: dict[tuple[str, int], list[float]] = defaultdict(list)
    for command in expected.commands:
        verdict.expected += 1
        fired = parse_time(command.fired_at)
        match = MATCH.get(command.rule.id, Match.VISITOR)
        if match is Match.ID and (
            command.trigger.event_id not in produced or command.visitor_id in controlled
        ):
            match = Match.VISITOR
        if command.action_kind in _CONTROL_KINDS:
            controlled.setdefault(command.visitor_id, fired)
        if match is not Match.ID and fired > until - settle:
            verdict.not_compared += 1
            continue
        verdict.compared[match.value] += 1
        if match is Match.ID:
            if command.command_id not in live:
                verdict.lost_commands.append(f"{command.rule.id} {command.command_id}")
        elif match is Match.VISITOR:
            key = (command.rule.id, command.action_index, command.visitor_id)
            if not by_key.get(key):
                what = f"{command.rule.id} visitor {command.visitor_id}"
                if command.visitor_id in overtaken:
                    verdict.overtaken.append(what)
                else:
                    verdict.lost_commands.append(what)
        else:
            window_expected[(command.rule.id, command.action_index)].append(fired)
    for (rule, index), times in window_expected.items():
        window = RULE_WINDOWS.get(rule, 0.0)
        unmatched = sorted(live_times.get((rule, index), []))
        for at in sorted(times):
            near = [t for t in unmatched if abs(t - at) <= window]
            if near:
                unmatched.remove(near[0])
            else:
                verdict.lost_commands.append(f"{rule} (window at {at:.1f})")
    simulated = {c.command_id for c in expected.commands}
    verdict.extra_commands = sum(1 for cid in live if cid not in simulated)


def _compare_executions(
    verdict: Verdict, live: dict[str, Record], record: LiveRecord
) -> dict[str, list[Execution]]:
    done: dict[str, list[Execution]] = defaultdict(list)
    for execution in record.executions:
        done[execution.command_id].append(execution)
    controls: dict[str, Record] = {}
    for control in record.controls:
        if isinstance(control.value, dict) and control.value.get("event_id"):
            controls.setdefault(str(control.value["event_id"]), control)
    places: Counter[tuple[str, str]] = Counter()
    for cid, executions in done.items():
        for execution in executions:
            places[(cid, execution.where)] += 1
    for cid, first in live.items():
        kind = first.value["action"]["kind"]
        if kind in _CONTROL_KINDS:
            sent = controls.get(derive_id(cid, "control"))
            if sent is not None:
                done[cid].append(Execution(cid, "control", sent.timestamp))
                places[(cid, "control")] += 1  # its copies are counted below
        if not done.get(cid):
            verdict.lost_executions.append(f"{first.value['rule']['id']} {kind} {cid}")
    control_counts = Counter(
        str(c.value.get("event_id")) for c in record.controls if isinstance(c.value, dict)
    )
    verdict.executions = sum(places.values())
    verdict.duplicates = sum(n - 1 for n in places.values() if n > 1)
    verdict.duplicates += sum(n - 1 for n in control_counts.values() if n > 1)
    return done


def _percentiles(values: list[float]) -> tuple[float, float, int]:
    if not values:
        return (float("nan"), float("nan"), 0)
    ordered = sorted(values)
    p99 = ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))]
    return (statistics.median(ordered), p99, len(ordered))


def _recovery(
    faults: Iterable[Fault],
    live: dict[str, Record],
    done: dict[str, list[Execution]],
    end: float,
) -> list[tuple[str, str, str]]:
    """Per fault: seconds until every partition turned new events into commands again,
    and until each partition's new commands were executed again."""
    by_partition: dict[int, list[tuple[float, float, float]]] = defaultdict(list)
    for record in live.values():
        executed = [e.at for e in done.get(record.value["command_id"], []) if e.at is not None]
        by_partition[record.partition].append(
            (
                record.timestamp,
                parse_time(record.value["trigger"]["time"]),
                min(executed) if executed else math.inf,
            )
        )
    tables = {}
    for partition, rows in by_partition.items():
        rows.sort()
        written = [row[0] for row in rows]
        # the earliest execution among the commands written at or after each position
        soonest = [math.inf] * (len(rows) + 1)
        for n in range(len(rows) - 1, -1, -1):
            soonest[n] = min(rows[n][2], soonest[n + 1])
        tables[partition] = (rows, written, soonest)
    found = []
    for fault in faults:
        t = fault.killed_at
        worst_command: float | None = 0.0
        worst_execution: float | None = 0.0
        for rows, written, soonest in tables.values():
            first = bisect.bisect_right(written, t)
            made = next((row[0] for row in rows[first:] if row[1] > t), None)
            if made is None or made > end:
                worst_command = None
            elif worst_command is not None:
                worst_command = max(worst_command, made - t)
            again = soonest[first]
            if again == math.inf:
                worst_execution = None
            elif worst_execution is not None:
                worst_execution = max(worst_execution, again - t)
        found.append(
            (
                fault.target,
                "—" if worst_command is None else f"{worst_command:.1f}",
                "—" if worst_execution is None else f"{worst_execution:.1f}",
            )
        )
    return found


def judge(
    expected: Expected,
    record: LiveRecord,
    *,
    produced: set[str],
    until: float,
    settle: float,
    faults: list[Fault],
    whos_on: list[dict[str, Any]] | None,
    visitor_events: dict[str, list[float]] | None = None,
    tick: float = 2.0,
    partitions: int = 8,
) -> Verdict:
    verdict = Verdict()
    live, verdict.copies = _first_copies(record.actions)
    verdict.live_commands = len(live)
    overtaken = _overtaken(live, visitor_events or {}, produced, tick, partitions)
    _compare_commands(verdict, expected, live, produced, until, settle, overtaken)
    done = _compare_executions(verdict, live, record)
    for letter in record.dead_letters:
        reason = letter.value.get("reason") if isinstance(letter.value, dict) else None
        verdict.dead_letters[str(reason)] += 1
    if whos_on is None:
        verdict.whos_on, verdict.whos_on_ok = "no processor answered /api/visitors", False
    else:
        listed = {str(row["visitor_id"]) for row in whos_on}
        missing = expected.online - listed
        extra = listed - expected.online
        verdict.whos_on_ok = not missing and not extra
        verdict.whos_on = (
            f"{len(listed)} listed, {len(expected.online)} expected; "
            f"{len(missing)} missing, {len(extra)} extra"
        )
    verdict.recovery = _recovery(faults, live, done, until)
    to_command = [
        r.timestamp - parse_time(r.value["trigger"]["time"])
        for r in live.values()
        if r.value["trigger"].get("event_id") in produced
    ]
    to_execution = [
        e.at - live[cid].timestamp
        for cid, executions in done.items()
        if cid in live
        for e in executions
        if e.at is not None
    ]
    verdict.latency["event → command"] = _percentiles(to_command)
    verdict.latency["command → execution"] = _percentiles(to_execution)
    return verdict
