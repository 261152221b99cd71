"""When to kill what: a seeded plan of faults, and carrying it out.

The faults are spread over the load: the load's span is cut into as many slots as there
are faults and each fault falls at a random time in the middle half of its slot, in a
random order of kinds; a killed service is started again 1-3 s after its SIGKILL, a
bounced broker 1-3 s after its SIGKILL (then it takes its own start-up time). A kill
whose target is still down from an earlier one kills another service of its kind.
"""

from __future__ import annotations

import asyncio
import random
import time
from collections.abc import Callable
from dataclasses import dataclass

from drilling.cluster import Cluster

__all__ = ["Fault", "FaultPlan", "plan_faults", "run_faults"]


@dataclass(frozen=True, slots=True)
class FaultPlan:
    """One planned fault: seconds after the load starts, what, and the down time."""

    at: float
    target: str  # a service name, or "broker"
    down: float


@dataclass(slots=True)
class Fault:
    """A fault as it happened: wall-clock times (epoch s)."""

    target: str
    killed_at: float
    started_at: float | None = None  # the process started (the broker: ready) again


def plan_faults(
    seed: int,
    span: float,
    *,
    processors: list[str],
    workers: list[str],
    processor_kills: int,
    worker_kills: int,
    bounces: int,
) -> list[FaultPlan]:
    """The faults of a run of ``span`` seconds, reproducible from ``seed``."""
    rng = random.Random(seed)
    kinds = ["processor"] * processor_kills + ["worker"] * worker_kills + ["broker"] * bounces
    rng.shuffle(kinds)
    if not kinds:
        return []
    slot = span / len(kinds)
    plans = []
    for n, kind in enumerate(kinds):
        at = slot * n + slot * rng.uniform(0.25, 0.75)
        if kind == "broker":
            target = "broker"
        else:
            target = rng.choice(processors if kind == "processor" else workers)
        plans.append(FaultPlan(at, target, rng.uniform(1.0, 3.0)))
    return plans


async def run_faults(
    cluster: Cluster,
    plans: list[FaultPlan],
    *,
    started: float,
    say: Callable[[str], None],
) -> list[Fault]:
    """Carry out ``plans`` (times relative to ``started``, a ``time.time()``)."""
    faults: list[Fault] = []
    restarts: list[asyncio.Task[None]] = []
    by_name = {child.name: child for child in cluster.children}
    for plan in plans:
        await asyncio.sleep(max(0.0, started + plan.at - time.time()))
        fault = Fault(plan.target, time.time())
        faults.append(fault)
        if plan.target == "broker":
            say(f"bouncing the broker (down {plan.down:.1f}s + its start)")
            outage = await cluster.bounce(plan.down)
            fault.started_at = time.time()
            say(f"broker back after {outage:.1f}s")
            continue
        child = by_name[plan.target]
        if child.process is None:  # still down from an earlier kill: another of its kind
            up = [c for c in cluster.children if c.kind == child.kind and c.process is not None]
            if not up:
                faults.pop()
                continue
            child = up[0]
            fault.target = child.name
        say(f"SIGKILL {child.name}; start again in {plan.down:.1f}s")
        await cluster.kill(child)

        async def restart(child_name: str = child.name, fault: Fault = fault,
                          down: float = plan.down) -> None:  # fmt: skip
            await asyncio.sleep(down)
            await cluster.launch(by_name[child_name])
            fault.started_at = time.time()

        restarts.append(asyncio.create_task(restart()))
    await asyncio.gather(*restarts)
    return faults
