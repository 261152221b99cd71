"""Reading rule files: YAML, JSON, lists, several documents, directories, and their errors."""

from __future__ import annotations

from pathlib import Path

import orjson
import pytest

from footfall.rules import (
    RuleValidationError,
    compile_rules,
    load_rule_files,
    read_definition_files,
)

from .helpers import raw_rule

YAML_RULE = """\
id: invite-pricing-visitors
name: Invite engaged pricing visitors
owner: {role: agent, id: alice}
event: online_activity
timezone: Europe/Berlin
when:
  all:
    - current_page: {contains: /pricing}
    - hits: {gte: 3}
    - duration_minutes: {between: [2, 30]}
    - time_of_day: {between: ["09:00", "17:30"]}
    - day_of_week: {in: [mon, tue, wed, thu, fri]}
    - any:
        - country: {in: [DE, AT, CH]}
        - language: {starts_with: de}
actions:
  - kind: send_live_chat_invitation
    message: "Hallo {{customer_name}}, Fragen zu den Preisen?"
    max_frequency: 1h
    per: visitor
  - kind: send_email
    to: [sales@example.com]
    subject: "Pricing visitor {{visitor_id}} from {{country}}"
    body: "{{hits}} pages in {{duration_minutes}} minutes, now on {{current_page}}"
    max_frequency: 10m
"""


def test_spec_example_yaml_loads_and_compiles(tmp_path: Path) -> None:
    (tmp_path / "r.yaml").write_text(YAML_RULE)
    loaded = load_rule_files([tmp_path / "r.yaml"])
    assert [str(item.source) for item in loaded] == [str(tmp_path / "r.yaml")]
    rule = compile_rules(loaded).rules["invite-pricing-visitors"]
    assert rule.owner.id == "alice"
    assert [a.kind for a in rule.actions] == ["send_live_chat_invitation", "send_email"]


def test_json_list_and_yaml_documents(tmp_path: Path) -> None:
    (tmp_path / "a.json").write_bytes(orjson.dumps([raw_rule(id="a"), raw_rule(id="b")]))
    (tmp_path / "c.yml").write_text(
        "id: c\nname: C\nevent: online_activity\nactions: [{kind: remove_from_list}]\n---\n"
        "id: d\nname: D\nevent: online_activity\nactions: [{kind: remove_from_list}]\n"
    )
    (tmp_path / "notes.txt").write_text("not a rule")
    loaded = load_rule_files([tmp_path])
    assert [item.data["id"] for item in loaded] == ["a", "b", "c", "d"]
    assert [str(item.source) for item in loaded] == [
        f"{tmp_path}/a.json[0]",
        f"{tmp_path}/a.json[1]",
        f"{tmp_path}/c.yml[0]",
        f"{tmp_path}/c.yml[1]",
    ]


def test_files_and_directories_mix(tmp_path: Path) -> None:
    (tmp_path / "d").mkdir()
    (tmp_path / "d" / "x.yaml").write_text(
        "- id: x\n  name: X\n  event: live_chat_ended\n  actions: [{kind: remove_from_list}]\n"
    )
    (tmp_path / "one.yaml").write_text(
        "id: one\nname: One\nevent: live_chat_started\nactions: [{kind: remove_from_list}]\n"
    )
    rules = compile_rules(load_rule_files([tmp_path / "one.yaml", str(tmp_path / "d")]))
    assert sorted(rules.rules) == ["one", "x"]


def test_unreadable_files_are_all_reported(tmp_path: Path) -> None:
    (tmp_path / "bad.yaml").write_text("id: a\nname: [unclosed\n")
    (tmp_path / "bad.json").write_text('{"id": "a",}')
    (tmp_path / "dup.yaml").write_text("id: a\nid: b\n")
    (tmp_path / "scalar.yaml").write_text("- 5\n")
    (tmp_path / "empty").mkdir()
    found, issues = read_definition_files(
        [
            tmp_path / "bad.yaml",
            tmp_path / "bad.json",
            tmp_path / "dup.yaml",
            tmp_path / "scalar.yaml",
            tmp_path / "empty",
            tmp_path / "missing.yaml",
        ]
    )
    assert found == []
    messages = [str(i) for i in issues]
    assert messages[0].startswith(f"{tmp_path}/bad.yaml: invalid YAML at line 3, column 1:")
    assert messages[1].startswith(f"{tmp_path}/bad.json: invalid JSON at line 1, column")
    assert messages[2].startswith(
        f"{tmp_path}/dup.yaml: invalid YAML at line 2, column 1: duplicate key 'id'"
    )
    assert messages[3:] == [
        f"{tmp_path}/scalar.yaml[0]: expected a rule object, got int",
        f"{tmp_path}/empty: no *.yaml, *.yml or *.json files in this directory",
        f"{tmp_path}/missing.yaml: no such file or directory",
    ]
    with pytest.raises(RuleValidationError):
        load_rule_files([tmp_path / "missing.yaml"])


def test_problems_carry_the_source(tmp_path: Path) -> None:
    (tmp_path / "r.yaml").write_text(
        "- id: ok\n  name: x\n  event: online_activity\n  actions: [{kind: remove_from_list}]\n"
        "- id: bad\n  name: x\n  event: online_activity\n  when: {hits: {gtee: 1}}\n"
        "  actions: [{kind: remove_from_list}]\n"
    )
    with pytest.raises(RuleValidationError) as caught:
        compile_rules(load_rule_files([tmp_path]))
    (issue,) = caught.value.issues
    assert issue.located() == f"bad: when.hits: unknown operator 'gtee' (in {tmp_path}/r.yaml[1])"


def test_yaml_times_and_norway(tmp_path: Path) -> None:
    (tmp_path / "r.yaml").write_text(
        "id: r\nname: r\nevent: online_activity\n"
        "when: [{time_of_day: {between: [09:00, 17:30]}}, {country: {in: [NO]}}]\n"
        "actions: [{kind: remove_from_list}]\n"
    )
    with pytest.raises(RuleValidationError) as caught:
        compile_rules(load_rule_files([tmp_path]))
    assert [str(i) for i in caught.value.issues] == [
        "r: when[0].time_of_day.between: expected a time 'HH:MM', got 1050 "
        "(YAML read an unquoted time as a number: write '17:30')",
        "r: when[1].country.in: expected a string, got false "
        "(YAML reads unquoted yes/no/on/off as booleans: quote it)",
    ]


def test_recursive_yaml_aliases_are_reported_not_crashing(tmp_path: Path) -> None:
    (tmp_path / "r.yaml").write_text(
        "id: r\nname: r\nevent: online_activity\nwhen: &w {all: [*w]}\n"
        "actions: [{kind: call_web_page, url: 'https://x.example/', method: POST,\n"
        "           body: &b {a: [*b]}}]\n"
    )
    with pytest.raises(RuleValidationError) as caught:
        compile_rules(load_rule_files([tmp_path]))
    assert [str(i) for i in caught.value.issues] == [
        f"{tmp_path}/r.yaml: refused at line 4, column 7: a YAML alias refers to a value "
        "that contains it (the value would be infinite)"
    ]
