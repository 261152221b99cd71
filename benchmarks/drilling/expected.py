"""What ``footfall simulate`` fires for the events the drill produced.

The recorded events (``events.jsonl``, the exact JSON produced, in the order generated)
are fed to the same code as ``footfall simulate`` (:func:`footfall.cli.simulate.
simulate_lines` on a :class:`footfall.simulation.Simulation`) with the live run's
tick interval, idle and invitation timeouts, and ``--until`` the moment the live
system was looked at: its ticks fall on the same multiples of the interval as the
processors' (both align ticks to the Unix epoch).
"""

from __future__ import annotations

import shlex
from dataclasses import dataclass
from pathlib import Path

from footfall.cli.simulate import simulate_lines
from footfall.engine import Command, EngineConfig
from footfall.events import format_time
from footfall.rules import compile_rules, load_rule_files
from footfall.simulation import Simulation, SimulationStats

__all__ = ["Expected", "simulate_run"]


@dataclass(frozen=True, slots=True)
class Expected:
    """The simulated run: its commands in firing order, who is online at the end."""

    commands: list[Command]
    online: frozenset[str]
    stats: SimulationStats
    command_line: str


def simulate_run(
    events: Path,
    rules: Path,
    *,
    tick: float,
    idle_timeout: float,
    invitation_timeout: float,
    until: float,
) -> Expected:
    compiled = compile_rules(load_rule_files([str(rules)]))
    sim = Simulation(compiled, EngineConfig(idle_timeout, invitation_timeout), tick)
    with events.open(encoding="utf-8") as lines:
        commands = list(simulate_lines(lines, sim, until=until))
    online = frozenset(vid for vid, state in sim.states.items() if state.online)
    command_line = (
        f"FOOTFALL_TICK={tick:g}s FOOTFALL_IDLE_TIMEOUT={idle_timeout:g}s "
        f"FOOTFALL_INVITATION_TIMEOUT={invitation_timeout:g}s footfall simulate "
        f"--rules {shlex.quote(str(rules))} --events {shlex.quote(str(events))} "
        f"--until {format_time(until)}"
    )
    return Expected(commands, online, sim.stats, command_line)
