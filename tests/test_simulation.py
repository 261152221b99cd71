"""``Simulation``: ticks over a gap between messages cost nothing in proportion to it."""

from __future__ import annotations

import random
import time

from footfall.engine import EngineConfig
from footfall.events import Control, Event, format_time
from footfall.rules import RuleSet
from footfall.simulation import Simulation
from footfall.testing import BASE_TIME, chat, email_action, page_view, rule, rules_of

YEAR = 365.25 * 86400


def _stepwise(sim: Simulation, messages: list[Event | Control], end: float) -> list[bytes]:
    """Every tick run on its own, one ``run_ticks`` call per tick (nothing to jump)."""
    out: list[bytes] = []
    for message in messages:
        while sim.next_tick is not None and sim.next_tick < message.time:
            out.extend(c.to_json() for c in sim.run_ticks(sim.next_tick, inclusive=True))
        out.extend(c.to_json() for c in sim.feed(message))
    while sim.next_tick is not None and sim.next_tick <= end:
        out.extend(c.to_json() for c in sim.run_ticks(sim.next_tick, inclusive=True))
    return out


def _at_once(sim: Simulation, messages: list[Event | Control], end: float) -> list[bytes]:
    out: list[bytes] = []
    for message in messages:
        out.extend(c.to_json() for c in sim.feed(message))
    out.extend(c.to_json() for c in sim.finish(end))
    return out


def _rules() -> RuleSet:
    mail = [email_action(max_frequency="1m", per="visitor")]
    return rules_of(
        rule("office", when={"time_of_day": {"between": ["09:00", "09:20"]}}, actions=mail),
        rule(
            "monday",
            when={"all": [{"day_of_week": {"in": ["mon"]}}, {"hits": {"gte": 2}}]},
            timezone="Europe/Berlin",
            actions=mail,
        ),
        rule("long", when={"duration_minutes": {"gte": 200}}, actions=mail),
        rule("idle", when={"idle_minutes": {"gte": 45}}, actions=mail),
        rule("counted", when={"hits": {"gte": 2, "window": "3h"}}, actions=mail),
        rule("invited", when={"chat_status": {"eq": "invited"}}, actions=mail),
    )


def _messages(rng: random.Random, gaps: list[float]) -> list[Event | Control]:
    out: list[Event | Control] = []
    t = BASE_TIME
    for k, gap in enumerate(gaps):
        t += gap
        visitor = f"v{rng.randint(0, 3)}"
        when = format_time(t)
        if rng.random() < 0.25:
            out.append(chat("chat_invited", visitor, when, invitation_id=f"i{k}"))
        else:
            url = f"https://example.com/{rng.choice(['', 'pricing', 'docs'])}"
            out.append(page_view(visitor, when, url, event_id=f"e{k}"))
    return out


def test_a_gap_of_days_gives_the_commands_and_counts_of_every_tick_run() -> None:
    configs = [
        (EngineConfig(), 30.0),
        (EngineConfig(6 * 3600.0, 0.0), 45.0),  # invitations that never time out
        (EngineConfig(3 * 86400.0), 90.0),
    ]
    for seed in range(3):
        rng = random.Random(seed)
        gaps = [rng.choice([5.0, 40.0, 600.0, 5000.0, 86400 + 7]) for _ in range(30)]
        messages = _messages(rng, gaps)
        end = messages[-1].time + 86400
        for config, tick in configs:
            jumped = Simulation(_rules(), config, tick)
            stepped = Simulation(_rules(), config, tick)
            fast = _at_once(jumped, messages, end)
            assert fast == _stepwise(stepped, messages, end), (seed, config, tick)
            assert jumped.stats == stepped.stats
            assert len(fast) > 10


def test_fifty_years_between_two_events_take_no_time() -> None:
    # an invitation nobody answers and that never times out keeps its visitor ticked;
    # a visitor who may stay idle for 30 days is online (and ticked) all that time
    for config in (EngineConfig(900.0, 0.0), EngineConfig(30 * 86400.0, 120.0)):
        sim = Simulation(_rules(), config, 30.0)
        first = [
            page_view("v1", format_time(BASE_TIME), event_id="a"),
            chat("chat_invited", "v1", format_time(BASE_TIME + 1), invitation_id="i1"),
        ]
        later = page_view("v2", format_time(BASE_TIME + 50 * YEAR), event_id="b")
        started = time.process_time()
        commands = [c for m in [*first, later] for c in sim.feed(m)]
        commands.extend(sim.finish())
        assert time.process_time() - started < 2.0
        assert sim.stats.ticks >= 50 * YEAR / 30
        stats = sim.stats
        assert stats.visitor_ticks - stats.passed_over < 50_000  # visits that evaluated
        assert commands
