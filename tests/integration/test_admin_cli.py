"""The admin commands against a real broker: rules push/list/delete, profiles, providers,
visitors remove/purge."""

from __future__ import annotations

import asyncio
from pathlib import Path

import orjson
import pytest

from footfall.cli.main import main as footfall_main
from footfall.compacted_topic import read_topic_to_end
from footfall.rules import compile_rules, load_rule_files
from footfall.settings import Settings

pytestmark = pytest.mark.integration

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"


@pytest.fixture
def cli_env(kafka_settings: Settings, monkeypatch: pytest.MonkeyPatch) -> Settings:
    monkeypatch.setenv("FOOTFALL_BROKER", kafka_settings.broker)
    monkeypatch.setenv("FOOTFALL_TOPIC_PREFIX", kafka_settings.topic_prefix)
    monkeypatch.setenv("FOOTFALL_PARTITIONS", str(kafka_settings.partitions))
    return kafka_settings


async def _cli(*argv: str) -> int:
    return await asyncio.to_thread(footfall_main, list(argv))


async def test_rules_push_list_delete(
    cli_env: Settings, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    settings = cli_env
    bad = tmp_path / "bad.yaml"
    bad.write_text(
        "- id: broken-one\n  name: B\n  event: online_activity\n"
        "  when: {hits: {gtee: 3}}\n  actions: [{kind: send_email, to: [a@example.com]}]\n"
        "- id: broken-two\n  name: C\n  event: no_such_event\n"
        "  actions: [{kind: remove_from_list}]\n"
    )
    # one invalid file refuses the whole push, with every problem
    assert await _cli("rules", "push", str(EXAMPLES / "rules"), str(bad)) == 2
    err = capsys.readouterr().err
    assert "broken-one: when.hits: unknown operator 'gtee'" in err
    assert "broken-two: event:" in err
    assert await read_topic_to_end(settings, settings.topic("rules")) == []

    assert await _cli("rules", "push", str(EXAMPLES / "rules")) == 0
    expected = compile_rules(load_rule_files([EXAMPLES / "rules"]))
    pushed = dict(line.split() for line in capsys.readouterr().out.splitlines())
    assert pushed == {r.id: r.version for r in expected.rules.values()}

    assert await _cli("rules", "list", "--json") == 0
    rows = [orjson.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert [(r["id"], r["version"], r["event"]) for r in rows] == [
        (r.id, r.version, r.event) for r in expected.rules.values()
    ]
    victim = rows[0]["id"]
    assert await _cli("rules", "delete", victim) == 0
    capsys.readouterr()
    assert await _cli("rules", "list") == 0
    table = capsys.readouterr().out.splitlines()
    assert table[0].split() == ["ID", "VERSION", "ENABLED", "OWNER", "EVENT"]
    listed = [line.split()[0] for line in table[1:]]
    assert listed == [r["id"] for r in rows[1:]]


async def test_profiles_and_providers_push(
    cli_env: Settings, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    settings = cli_env
    assert await _cli("profiles", "push", str(EXAMPLES / "profiles")) == 0
    assert await _cli("providers", "push", str(EXAMPLES / "providers")) == 0
    profiles = await read_topic_to_end(settings, settings.topic("profiles"))
    providers = await read_topic_to_end(settings, settings.topic("providers"))
    assert {r.key for r in profiles} >= {"agent:alice"}
    assert len(providers) >= 1
    for record in providers:
        value = orjson.loads(record.value or b"")
        assert record.key == value["name"]
        assert set(value) == {"name", "url", "secret_env", "timeout"}  # never a secret
    bad = tmp_path / "p.yaml"
    bad.write_text("id: agent:bob\nemails: [not-an-address]\n")
    capsys.readouterr()
    assert await _cli("profiles", "push", str(bad)) == 2
    assert "agent:bob: emails[0]" in capsys.readouterr().err
    assert len(await read_topic_to_end(settings, settings.topic("profiles"))) == len(profiles)


async def test_visitors_remove_and_purge_publish_control(cli_env: Settings) -> None:
    settings = cli_env
    assert await _cli("visitors", "remove", "visitor-7") == 0
    assert await _cli("visitors", "purge", "visitor-7") == 0
    assert await _cli("visitors", "remove", "x" * 129) == 2
    from footfall.processor.testing import TopicCollector

    control = TopicCollector(settings, settings.topic("control"))
    await control.start()
    try:
        seen = await control.wait_for(lambda values: len(values) >= 2, 20)
    finally:
        await control.stop()
    assert [(m["type"], m["visitor_id"]) for m in seen] == [
        ("remove", "visitor-7"),
        ("purge", "visitor-7"),
    ]
    assert all(r.key == b"visitor-7" for r in control.records)
    assert seen[0]["event_id"] != seen[1]["event_id"]
