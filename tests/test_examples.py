"""examples/: every rule, profile and provider loads with the real loaders and they fit.

The examples cover every rule event of SPEC §4.1 and every action kind of §5, point
their web calls at the local webhook sink that ``footfall dev`` runs on loopback, and
mail only addresses at example.com.
"""

from __future__ import annotations

import io
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from footfall.cli.main import main
from footfall.cli.simulate import simulate_lines
from footfall.devtraffic import TrafficModel
from footfall.devtraffic.producer import print_traffic
from footfall.engine.engine import EngineConfig
from footfall.profiles import load_profiles, load_providers, profile_id_for
from footfall.rules import (
    ACTION_KINDS,
    Owner,
    compile_rules,
    load_rule_files,
    read_definition_files,
)
from footfall.rules.events import RULE_EVENTS
from footfall.settings import Settings
from footfall.simulation import Simulation
from footfall.worker.directory import parse_profile, parse_provider

EXAMPLES = Path(__file__).resolve().parents[1] / "examples"
SINK = "http://127.0.0.1:8025/"


def raw_rules() -> list[dict[str, Any]]:
    return [dict(item.data) for item in load_rule_files([EXAMPLES / "rules"])]


def definitions(kind: str) -> list[dict[str, Any]]:
    found, issues = read_definition_files([EXAMPLES / kind], kind)
    assert issues == []
    return [dict(item.data) for item in found]


def test_every_example_rule_compiles() -> None:
    rules = compile_rules(load_rule_files([EXAMPLES / "rules"]))
    assert len(rules) == len(raw_rules()) >= 10


def test_examples_cover_every_rule_event_and_action_kind() -> None:
    rules = raw_rules()
    assert {rule["event"] for rule in rules} == set(RULE_EVENTS)
    kinds = {action["kind"] for rule in rules for action in rule["actions"]}
    assert kinds == set(ACTION_KINDS)
    # one file per event, named after it
    for path in (EXAMPLES / "rules").glob("*.yaml"):
        events = {rule["event"] for rule in load_raw(path)}
        assert len(events) == 1, path.name
        assert path.stem.replace("-", "_").startswith(next(iter(events))), path.name


def load_raw(path: Path) -> list[dict[str, Any]]:
    return [dict(item.data) for item in load_rule_files([path])]


def test_rules_validate_command_accepts_the_examples(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["rules", "validate", str(EXAMPLES / "rules")]) == 0
    assert "error" not in capsys.readouterr().err.lower()


def test_every_example_profile_and_provider_loads() -> None:
    profiles = load_profiles([EXAMPLES / "profiles"])
    providers = load_providers([EXAMPLES / "providers"])
    # the workers read the same records from the topics
    assert [parse_profile(p.to_json()) for p in profiles]
    assert [parse_provider(p.to_json()) for p in providers]
    assert {p.id for p in profiles} >= {"admin", "agent:alice"}
    assert all(p.enabled for p in profiles)
    for provider in providers:
        assert provider.url.startswith(SINK)
        assert provider.secret_env == "FOOTFALL_DEV_PROVIDER_SECRET"


def test_rules_use_profiles_and_providers_that_exist() -> None:
    profiles = {p["id"] for p in definitions("profiles")}
    providers = {p["name"] for p in definitions("providers")}
    for rule in raw_rules():
        owner = rule["owner"]
        for action in rule["actions"]:
            if action["kind"] == "use_my_notification_profile":
                wanted = profile_id_for(Owner(role=owner["role"], id=owner.get("id")))
                assert wanted in profiles, rule["id"]
            if action["kind"] == "notify_external_provider":
                assert action["provider"] in providers, rule["id"]


def addresses(rule: dict[str, Any]) -> list[str]:
    found: list[str] = []
    for action in rule["actions"]:
        for key in ("to", "cc", "bcc"):
            found.extend(action.get(key, []))
        if "reply_to" in action:
            found.append(action["reply_to"])
    return found


@pytest.mark.parametrize("rule", raw_rules(), ids=lambda rule: rule["id"])
def test_examples_only_reach_the_local_sinks(rule: dict[str, Any]) -> None:
    for action in rule["actions"]:
        if action["kind"] == "call_web_page":
            assert action["url"].startswith(SINK)
        if action["kind"] == "log_to_file":
            assert not Path(action["file"]).is_absolute()
    for address in addresses(rule):
        assert address.endswith("@example.com")
    for profile in definitions("profiles"):
        for address in profile["emails"] + profile["sms"]:
            assert address.rsplit("@", 1)[1].endswith("example.com")


def test_the_example_rules_fire_on_generated_traffic() -> None:
    """Generated traffic run through the engine (as footfall simulate) fires the examples."""
    out = io.BytesIO()
    start = datetime(2026, 11, 25, 8, 30, tzinfo=UTC)  # a Wednesday, office hours in Berlin
    print_traffic(TrafficModel(visitors=25, seed=1), out, rate=4, count=6000, start=start)
    rules = compile_rules(load_rule_files([EXAMPLES / "rules"]))
    lines = out.getvalue().decode().splitlines()
    commands = list(
        simulate_lines(lines, Simulation(rules, EngineConfig.from_settings(Settings())))
    )
    fired = Counter(command.rule.id for command in commands)
    kinds = {command.action_kind for command in commands}
    for rule_id in (
        "alert-sales-on-pricing",
        "invite-pricing-visitors",
        "crm-checkout-step-3",
        "remove-idle-portal-visitors",
        "log-invitations",
        "crm-invitation-accepted",
        "ignored-invitations",
        "ticket-on-chat-start",
        "escalate-angry-chats",
        "chat-ended",
    ):
        assert fired[rule_id] > 0, rule_id
    assert fired["forget-me"] > 0  # some simulated visitors ask to be forgotten
    assert fired["audit-purged-visitors"] > 0  # and the purge fires online_visitor_purged
    assert kinds == set(ACTION_KINDS)
    # max_frequency holds: one sales alert a minute at most
    alerts = sorted(c.fired_at for c in commands if c.rule.id == "alert-sales-on-pricing")
    assert len(alerts) <= 6000 / 4 / 60 + 1
