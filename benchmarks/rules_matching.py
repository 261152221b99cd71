"""Rule matching throughput on the benchmark workload (SPEC §4; docs/performance.md).

    .venv/bin/python benchmarks/workload.py --out /tmp/wl
    .venv/bin/python benchmarks/rules_matching.py /tmp/wl [--limit 200000] [--naive]

Builds facts naively from the events (a dict of the latest page fields, session hits and
counters per visitor; no idle handling), then times only ``RuleSet.matching`` over every
event that fires a rule event. Prints matchings/s (events matched per second) and rule
evaluations/s (enabled rules of the event's type considered per second, i.e. the work a
loop over every rule would do), in CPU time, best of ``--repeat`` passes. ``--naive``
also times that loop (``rule.holds`` on every enabled rule of the event) for comparison
and checks that both give the same answers.
"""

from __future__ import annotations

import argparse
import bisect
import time
from datetime import datetime
from pathlib import Path
from typing import Any

import orjson

from footfall.rules import EvalContext, RuleSet, compile_rules, load_rule_files

EVENT_OF = {
    "page_view": "online_activity",
    "chat_invited": "live_chat_invited",
    "chat_invitation_accepted": "live_chat_accepted",
    "chat_invitation_rejected": "live_chat_rejected",
    "chat_invitation_ignored": "live_chat_invitation_ignored",
    "chat_started": "live_chat_started",
    "chat_message": "live_chat_message",
    "chat_ended": "live_chat_ended",
}
COUNTER_OF = {
    "chat_invited": "invites_sent",
    "chat_invitation_accepted": "invites_accepted",
    "chat_invitation_rejected": "invites_rejected",
    "chat_invitation_ignored": "invites_ignored",
}


class BenchContext(EvalContext):
    __slots__ = ("events",)

    def __init__(self, now: float, facts: dict[str, object], events: dict[str, list[float]]):
        super().__init__(now, facts)
        self.events = events

    def window_count(self, field: str, seconds: float) -> int:
        times = self.events.get(field, [])
        return len(times) - bisect.bisect_right(times, self.now - seconds)


def build_contexts(path: Path, limit: int) -> list[tuple[str, BenchContext]]:
    """(rule event, context) for every event that fires a rule event."""
    visitors: dict[str, dict[str, Any]] = {}
    history: dict[str, dict[str, list[float]]] = {}
    out: list[tuple[str, BenchContext]] = []
    with path.open("rb") as f:
        for n, line in enumerate(f):
            if n >= limit:
                break
            ev = orjson.loads(line)
            vid = ev["visitor_id"]
            now = datetime.fromisoformat(ev["time"]).timestamp()
            state = visitors.setdefault(vid, {"visitor_id": vid, "hits": 0, "visits": 1})
            times = history.setdefault(vid, {"hits": [], "invites_sent": []})
            kind = ev["type"]
            if kind == "session_end":
                visitors.pop(vid, None)
                history.pop(vid, None)
                continue
            if kind == "page_view":
                if state["hits"] == 0:
                    state.update(
                        session_start=now,
                        initial_page=ev["url"],
                        initial_virtual_page=ev.get("virtual_page"),
                        initial_page_title=ev.get("title"),
                        initial_referrer=ev.get("referrer"),
                    )
                state["hits"] += 1
                times["hits"].append(now)
                state.update(
                    current_page=ev["url"],
                    current_virtual_page=ev.get("virtual_page"),
                    current_page_title=ev.get("title"),
                    current_referrer=ev.get("referrer"),
                    last_activity=now,
                )
                for key in ("site", "ip", "country", "language", "browser", "os"):
                    if key in ev:
                        state[key] = ev[key]
                if "customer" in ev:
                    state["customer_name"] = ev["customer"].get("name")
                    state["customer_email"] = ev["customer"].get("email")
            counter = COUNTER_OF.get(kind)
            if counter:
                state[counter] = state.get(counter, 0) + 1
                times.setdefault(counter, []).append(now)
            if kind == "chat_message":
                state["sent_message"] = ev.get("text")
            event = EVENT_OF.get(kind)
            if event is None:
                continue
            facts = {k: v for k, v in state.items() if v is not None and k != "last_activity"}
            start = state.get("session_start", now)
            facts["duration_minutes"] = (now - start) / 60.0
            facts["idle_minutes"] = (now - state.get("last_activity", now)) / 60.0
            facts.setdefault("chat_status", "none")
            out.append((event, BenchContext(now, facts, {k: list(v) for k, v in times.items()})))
    return out


def main() -> None:
    ap = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    ap.add_argument("workload", type=Path, help="directory written by workload.py --out")
    ap.add_argument("--limit", type=int, default=200_000, help="events to read")
    ap.add_argument("--repeat", type=int, default=3, help="timed passes; the best is kept")
    ap.add_argument("--naive", action="store_true", help="also time the loop over every rule")
    args = ap.parse_args()

    t0 = time.perf_counter()
    rules: RuleSet = compile_rules(load_rule_files([args.workload / "rules.json"]))
    compile_s = time.perf_counter() - t0
    t0 = time.perf_counter()
    rebuilt = rules.without(next(iter(rules.rules)))
    rebuild_s = time.perf_counter() - t0
    contexts = build_contexts(args.workload / "events.jsonl", args.limit)
    considered = sum(len(rules.rules_for(event)) for event, _ in contexts)

    elapsed = float("inf")
    fired = 0
    for _ in range(args.repeat):
        fired = 0
        t0 = time.process_time()
        for event, ctx in contexts:
            fired += len(rules.matching(event, ctx))
        elapsed = min(elapsed, time.process_time() - t0)

    n = len(contexts)
    print(
        f"rules: {len(rules)} compiled in {compile_s:.3f} s; index rebuild {rebuild_s * 1e3:.1f} ms"
    )
    print(f"matchings: {n} in {elapsed:.3f} s CPU (best of {args.repeat}) = {n / elapsed:,.0f}/s")
    print(f"rule evaluations: {considered / elapsed:,.0f}/s ({considered / n:.0f} rules per event)")
    print(f"rules fired: {fired} ({fired / n:.2f} per event)")
    if args.naive:
        t0 = time.process_time()
        naive = 0
        for event, ctx in contexts:
            expected = [r for r in rules.rules_for(event) if r.holds(ctx)]
            naive += len(expected)
            if expected != rules.matching(event, ctx):
                raise SystemExit(f"mismatch on {event} at {ctx.now}")
        rate = n / (time.process_time() - t0)
        print(f"naive loop over every rule (plus an indexed pass to compare): {rate:,.0f} events/s")
        assert naive == fired
    del rebuilt


if __name__ == "__main__":
    main()
