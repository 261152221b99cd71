"""Ticks reuse a visitor's last evaluation; the result must equal evaluating every rule."""

from __future__ import annotations

import random

from footfall.engine import Engine, VisitorState
from footfall.engine.commands import Candidate
from footfall.engine.engine import EngineContext
from footfall.engine.quiet import QuietSpan
from footfall.engine.timing import TickPlan, time_dependent
from footfall.events import Event, format_time
from footfall.rules import RuleSet
from footfall.simulation import Simulation
from footfall.testing import BASE_TIME, chat, email_action, page_view, rule, rules_of


class NaiveEngine(Engine):
    """Matches every online_activity rule on every evaluation."""

    def _online(self, state: VisitorState, ctx: EngineContext) -> list[str]:
        return [r.id for r in self.rules.matching("online_activity", ctx)]


PAGES = ["/", "/pricing", "/docs", "/checkout"]


def random_rules(rng: random.Random, n: int) -> list[dict[str, object]]:
    leaves = [
        lambda: {"current_page": {"contains": rng.choice(PAGES[1:])}},
        lambda: {"country": {"in": rng.sample(["DE", "FR", "US"], 2)}},
        lambda: {"hits": {"gte": rng.randint(1, 4)}},
        lambda: {"hits": {"gte": rng.randint(2, 3), "window": "2m"}},
        lambda: {"duration_minutes": {"between": sorted([rng.randint(0, 3), rng.randint(1, 6)])}},
        lambda: {"idle_minutes": {"gt": rng.randint(0, 2)}},
        lambda: {"time_of_day": {"between": ["08:02", "08:20"]}},
        lambda: {"chat_status": {"eq": "invited"}},
        lambda: {"session_start": {"within": "3m"}},
        lambda: {"session_start": {"older_than": "2m"}},
        lambda: {"duration_minutes": {"lt": rng.randint(1, 5)}},
        lambda: {"idle_minutes": {"gte": 1, "lte": 3}},
        lambda: {"hits": {"lt": 3, "window": "90s"}},
        lambda: {"invites_sent": {"gte": 1, "window": "2m"}},
        lambda: {"invites_sent": {"lt": 2}},
    ]
    rules = []
    for i in range(n):
        conds = [rng.choice(leaves)() for _ in range(rng.randint(1, 3))]
        when: object = {"all": conds}
        if len(conds) > 1 and rng.random() < 0.3:
            when = {"any": conds}
        if rng.random() < 0.2:
            when = [conds[0], {"not": rng.choice(leaves)()}]
        rules.append(
            rule(f"r{i:02d}", when=when, actions=[email_action(max_frequency="1m", per="visitor")])
        )
    rules.append(
        rule(
            "invite",
            when={"current_page": {"contains": "/checkout"}},
            actions=[{"kind": "send_live_chat_invitation", "message": "hi"}],
        )
    )
    return rules


def random_events(rng: random.Random, n: int) -> list[object]:
    out: list[object] = []
    t = 0.0
    for k in range(n):
        t += rng.uniform(0, 20)
        v = f"v{rng.randint(0, 5)}"
        when = format_time(BASE_TIME + t)
        r = rng.random()
        if r < 0.8:
            out.append(
                page_view(
                    v,
                    when,
                    f"https://e.com{rng.choice(PAGES)}",
                    country=rng.choice(["DE", "FR", "US"]),
                    event_id=f"e{k}",
                )
            )
        elif r < 0.9:
            out.append(chat("chat_invited", v, when, invitation_id=f"i{k}"))
        else:
            out.append(chat("chat_message", v, when, sender="visitor", text="hi"))
    return out


def run(engine: Engine, events: list[object]) -> list[bytes]:
    sim = Simulation(engine.rules, tick=15.0)
    sim.engine = engine
    commands = []
    for e in events:
        commands.extend(c.to_json() for c in sim.feed(e))  # type: ignore[arg-type]
    commands.extend(c.to_json() for c in sim.finish(sim.clock + 900 if sim.clock else None))
    return commands


def test_split_evaluation_equals_full_evaluation() -> None:
    for seed in range(12):
        rng = random.Random(seed)
        rules = rules_of(*random_rules(rng, 30))
        events = random_events(rng, 300)
        fast = run(Engine(rules), events)
        slow = run(NaiveEngine(rules), events)
        assert fast == slow
        assert len(fast) > 20


def test_time_dependence() -> None:
    rules = rules_of(
        rule("steady", when={"all": [{"hits": {"gte": 2}}, {"country": {"eq": "DE"}}]}),
        rule("clock", when={"duration_minutes": {"gte": 2}}),
        rule("window", when={"hits": {"gte": 2, "window": "1m"}}),
        rule("within", when={"not": {"session_start": {"within": "1m"}}}),
        rule("plain"),
    )
    dependent = {r.id: time_dependent(r) for r in rules.rules.values()}
    assert dependent == {
        "steady": False,
        "clock": True,
        "window": True,
        "within": True,
        "plain": False,
    }
    plan = TickPlan(rules)
    assert sorted(plan.steady.rules) == ["plain", "steady"]
    assert sorted(plan.clocked) == ["clock", "window", "within"]


def clock_rules(rng: random.Random, n: int) -> list[dict[str, object]]:
    """Rules whose clock parts skipped ticks must bound exactly (see engine.horizon)."""
    leaves = [
        lambda: {"hits": {"eq": rng.randint(1, 3), "window": "1m"}},
        lambda: {"hits": {"in": [1, rng.randint(2, 4)], "window": "45s"}},
        lambda: {"hits": {"between": [1.5, rng.randint(2, 4)], "window": "2m"}},
        lambda: {"duration_minutes": {"between": [0.25, rng.choice([0.5, 1.75, 2])]}},
        lambda: {"duration_minutes": {"eq": 1}},
        lambda: {"idle_minutes": {"gt": rng.choice([0.1, 0.5, 1.5])}},
        lambda: {"idle_minutes": {"lte": rng.choice([0.3, 1])}},
        lambda: {"current_page": {"contains": rng.choice(PAGES[1:])}},
        lambda: {"time_of_day": {"between": ["08:03", "08:05"]}},
        lambda: {"day_of_week": {"in": ["mon"]}},
    ]
    rules = []
    for i in range(n):
        conds = [rng.choice(leaves)() for _ in range(rng.randint(1, 3))]
        when: object = {"all": conds}
        if len(conds) > 1 and rng.random() < 0.4:
            when = [conds[0], {"any": conds[1:]}]
        rules.append(rule(f"c{i:02d}", when=when, actions=[email_action()]))
    return rules


def test_skipped_ticks_equal_full_evaluation() -> None:
    for seed in range(12):
        rng = random.Random(100 + seed)
        rules = rules_of(*clock_rules(rng, 30))
        events = [e for e in random_events(rng, 200) if rng.random() < 0.5]
        fast = run(Engine(rules), events)
        slow = run(NaiveEngine(rules), events)
        assert fast == slow
        assert len(fast) > 20


class QuietCheckingEngine(Engine):
    """Checks on every tick that a tick inside the visitor's ``quiet_span`` changes nothing."""

    __slots__ = ("busy", "quiet")

    def __init__(self, rules: RuleSet) -> None:
        super().__init__(rules)
        self.quiet = self.busy = 0

    def span_holds(self, span: QuietSpan | None, tick_time: float) -> bool:
        return False  # the simulation visits every visitor on every tick: all are checked

    def tick_in_place(
        self, state: VisitorState, tick_time: float, out: list[Candidate], synthesised: list[Event]
    ) -> int:
        quiet = super().span_holds(self.quiet_span(state), tick_time)
        before = state.to_bytes()
        fired = len(out), len(synthesised)
        evaluations = super().tick_in_place(state, tick_time, out, synthesised)
        if quiet:
            self.quiet += 1
            assert (len(out), len(synthesised)) == fired
            assert state.to_bytes() == before
        else:
            self.busy += 1
        return evaluations


def test_a_quiet_tick_changes_nothing_and_fires_nothing() -> None:
    quiet = busy = 0
    for seed in range(8):
        rng = random.Random(200 + seed)
        rules = rules_of(*clock_rules(rng, 15), *random_rules(rng, 15))
        engine = QuietCheckingEngine(rules)
        run(engine, random_events(rng, 250))
        quiet += engine.quiet
        busy += engine.busy
    # both kinds occur, so the check above was exercised
    assert quiet > 100 and busy > 100


def test_ticks_that_end_a_session_or_an_invitation_are_not_quiet() -> None:
    rules = rules_of(
        rule(
            "invite",
            when={"current_page": {"contains": "/checkout"}},
            actions=[{"kind": "send_live_chat_invitation", "message": "hi"}],
        ),
        rule("viewed", when={"hits": {"gte": 1}}, actions=[email_action()]),
    )
    engine = QuietCheckingEngine(rules)
    commands = run(engine, [page_view("v", format_time(BASE_TIME), "https://e.com/checkout")])
    # the invitation, the view's mail; no answer: ignored after 2 minutes; idle after 15
    assert len(commands) == 2
    assert engine.quiet > 20 and engine.busy >= 2
