"""Limits that keep validation fast and crash-free: integers, word lists, patterns, YAML
aliases, nesting and file size (footfall/rules/limits.py)."""

from __future__ import annotations

import random
import string
import time
from pathlib import Path
from typing import Any

import pytest

from footfall.cli.rules import check_rule_files
from footfall.rules import RuleValidationError, compile_rule, compile_rules, read_definition_files
from footfall.rules._report import show
from footfall.rules.limits import (
    INT_MAX,
    INT_MIN,
    MAX_FILE_BYTES,
    MAX_PATTERN_CHARS,
    MAX_RULE_VALUES,
    MAX_WORDS,
)

from .helpers import problems, raw_rule

OUT_OF_RANGE = (
    "integer out of range: {} (integers go from -2^63 to 2^64-1, "
    "-9223372036854775808 to 18446744073709551615)"
)


#: CPU seconds the worst documents may take: 1 s on the machines they were tuned on; the
#: machines this runs on differ by 2x in speed (docs/reliability.md, "Rules").
SLOWEST = 2.0


def _deep(levels: int) -> Any:
    value: Any = []
    for _ in range(levels):
        value = [value]
    return value


def _laughs(levels: int, indent: str = "") -> str:
    """A YAML "billion laughs": 9**levels strings from a few hundred bytes."""
    lines = [f'{indent}l0: &l0 ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]']
    for i in range(1, levels):
        refs = ",".join([f"*l{i - 1}"] * 9)
        lines.append(f"{indent}l{i}: &l{i} [{refs}]")
    return "\n".join(lines) + "\n"


@pytest.mark.parametrize(
    ("overrides", "path", "number"),
    [
        ({"when": {"hits": {"eq": 2**64}}}, "when.hits.eq", 2**64),
        ({"when": {"hits": {"in": [1, 2**65]}}}, "when.hits.in[1]", 2**65),
        ({"when": {"duration_minutes": {"gt": -(2**63) - 1}}}, "when.duration_minutes.gt", None),
        ({"when": {"hits": {"gte": 1, "window": 2**70}}}, "when.hits.window", 2**70),
        (
            {
                "actions": [
                    {"kind": "notify_external_provider", "provider": "crm", "payload": {"n": 2**64}}
                ]
            },
            "actions[0].payload.n",
            2**64,
        ),
        (
            {
                "actions": [
                    {
                        "kind": "call_web_page",
                        "url": "https://x.example/",
                        "method": "POST",
                        "body": [{"deep": [-(2**64)]}],
                    }
                ]
            },
            "actions[0].body[0].deep[0]",
            -(2**64),
        ),
        ({"actions": [{"kind": "remove_from_list", "max_frequency": 2**64}]}, None, 2**64),
        ({"name": 2**64}, "name", 2**64),
        ({"extra": {"x": 2**64}}, "extra.x", 2**64),
    ],
)
def test_integers_beyond_64_bits_are_refused_with_rule_id_and_path(
    overrides: dict[str, Any], path: str | None, number: int | None
) -> None:
    found = problems(raw_rule(**overrides))
    assert len(found) == 1
    (message,) = found
    if path is not None:
        assert message.startswith(f"r1: {path}: integer out of range: ")
    if number is not None:
        assert message.endswith(OUT_OF_RANGE.format(number))


def test_the_64_bit_bounds_themselves_are_accepted() -> None:
    for number in (INT_MIN, INT_MAX):
        rule = compile_rule(
            raw_rule(
                actions=[
                    {"kind": "notify_external_provider", "provider": "crm", "payload": [number]}
                ]
            )
        )
        assert rule.actions[0].render({})["payload"] == [number]


def test_a_huge_integer_is_named_by_its_size_not_spelled() -> None:
    (message,) = problems(raw_rule(when={"hits": {"gte": 10**5000}}))
    assert message.startswith("r1: when.hits.gte: integer out of range: an integer of about 5001")


def test_big_integers_in_rule_files_are_refused(tmp_path: Path) -> None:
    (tmp_path / "r.yaml").write_text(
        "id: r1\nname: n\nevent: online_activity\nwhen: {hits: {eq: 99999999999999999999}}\n"
        "actions: [{kind: remove_from_list}]\n"
    )
    _, _, issues = check_rule_files([tmp_path])
    assert [i.located() for i in issues] == [
        "r1: when.hits.eq: "
        + OUT_OF_RANGE.format(99999999999999999999)
        + f" (in {tmp_path}/r.yaml)"
    ]


def _words(count: int, seed: int = 1) -> list[str]:
    rnd = random.Random(seed)
    return [
        "".join(rnd.choice(string.ascii_lowercase) for _ in range(rnd.randint(3, 12)))
        for _ in range(count)
    ]


def test_contains_words_beyond_the_limit_is_refused_not_crashing() -> None:
    many, some = _words(232_000), _words(50_000)
    started = time.thread_time()
    found = problems(raw_rule(when={"sent_message": {"contains_words": many}}))
    assert found == [
        "r1: when.sent_message.contains_words: the rule has more than 100,000 values in all "
        "(this list has 232,000 items; YAML aliases count each time they are used)"
    ]
    found = problems(raw_rule(when={"sent_message": {"contains_words": some}}))
    assert found == [
        "r1: when.sent_message.contains_words: 50,000 words, more than the 10,000 allowed "
        "in one list (split them over several conditions in an any group)"
    ]
    assert time.thread_time() - started < SLOWEST


def test_contains_words_characters_are_limited_too() -> None:
    words = ["w" * 20 + str(i) for i in range(MAX_WORDS)]
    (message,) = problems(raw_rule(when={"sent_message": {"contains_words": words}}))
    chars = sum(len(w) for w in words)
    assert message == (
        f"r1: when.sent_message.contains_words: the words have {chars:,} characters in all, "
        "more than the 100,000 allowed in one list (split them over several conditions in "
        "an any group)"
    )


def test_contains_words_at_the_limit_compiles_and_matches() -> None:
    words = _words(MAX_WORDS)
    rule = compile_rule(
        raw_rule(event="live_chat_message", when={"sent_message": {"contains_words": words}})
    )
    from .helpers import ctx

    assert rule.holds(ctx({"sent_message": f"well, {words[-1]}!"}))
    assert not rule.holds(ctx({"sent_message": "0123 4567"}))


def test_huge_matches_patterns_are_refused() -> None:
    pattern = "(a|b)" * 200_000
    (message,) = problems(raw_rule(when={"current_page": {"matches": pattern}}))
    assert message == (
        "r1: when.current_page.matches: the regular expression has 1,000,000 characters, "
        f"more than the {MAX_PATTERN_CHARS:,} allowed: '" + ("(a|b)" * 12)[:56] + "..."
    )


def test_a_pattern_too_large_for_re2_is_a_validation_problem() -> None:
    (message,) = problems(raw_rule(when={"current_page": {"matches": "(((a{100}){100}){100})"}}))
    assert message.startswith("r1: when.current_page.matches: bad regular expression ")
    assert "too large" in message or "invalid repetition" in message


def test_unclosed_braces_in_long_templates_are_checked_in_linear_time() -> None:
    for body in ("{{" * 100_000, "{{a" * 100_000):
        started = time.thread_time()
        found = problems(
            raw_rule(actions=[{"kind": "send_email", "to": ["a@example.com"], "body": body}])
        )
        assert time.thread_time() - started < SLOWEST
        assert found[-1] == "r1: actions[0].body: unclosed '{{' (placeholders read {{name}})"


def test_placeholders_are_found_as_before() -> None:
    found = problems(
        raw_rule(
            actions=[
                {
                    "kind": "send_email",
                    "to": ["a@example.com"],
                    "subject": "{{ hits }}{{{x}}",
                    "body": "{{visitor_id}} {{}} {{" + "y" * 100 + "}}",
                }
            ]
        )
    )
    assert found == [
        "r1: actions[0].subject: unknown placeholder {{{x}}",
        "r1: actions[0].body: empty placeholder {{}}",
        "r1: actions[0].body: unknown placeholder {{" + "y" * 57 + "...}}",
    ]


def test_rules_with_too_many_values_are_refused() -> None:
    found = problems(raw_rule(when={"country": {"in": ["DE"] * MAX_RULE_VALUES}}))
    assert found == [
        "r1: when.country.in: the rule has more than 100,000 values in all (this list has "
        "100,000 items; YAML aliases count each time they are used)"
    ]


def test_deep_values_are_refused_without_recursion() -> None:
    for key in ("name", "extra", "when"):
        found = problems(raw_rule(**{key: _deep(5000)}))
        assert len(found) == 1
        assert found[0].startswith(f"r1: {key}[0][0]")
        assert found[0].endswith("]: the rule nests deeper than 100 levels")


def test_show_is_bounded_for_deep_and_shared_values() -> None:
    shared: Any = ["lol"] * 9
    for _ in range(12):
        shared = [shared] * 9  # 9**13 strings if expanded
    started = time.thread_time()
    assert show(_deep(100_000)) == "[" * 57 + "..."
    assert show(shared) == ("[" * 13 + '"lol",' * 8)[:57] + "..."
    assert show({"n": 10**5000}) == '{"n":<huge integer>}'
    assert time.thread_time() - started < 0.5


def test_yaml_billion_laughs_in_a_name_is_refused_fast(tmp_path: Path) -> None:
    (tmp_path / "r.yaml").write_text(
        "id: r1\nevent: online_activity\nactions: [{kind: remove_from_list}]\n"
        + _laughs(8)
        + "name: [*l7,*l7,*l7,*l7,*l7,*l7,*l7,*l7,*l7]\n"
    )
    started = time.thread_time()
    found, issues = read_definition_files([tmp_path])
    assert time.thread_time() - started < SLOWEST
    assert found == []
    assert [str(i) for i in issues] == [
        f"{tmp_path}/r.yaml: refused at line 9, column 5: YAML aliases expand the document "
        "by more than 100,000 values (each use of an alias counts its value again)"
    ]


def test_yaml_laughs_in_a_payload_are_refused_not_accepted(tmp_path: Path) -> None:
    (tmp_path / "r.yaml").write_text(
        "id: r1\nname: n\nevent: online_activity\nactions:\n"
        "- kind: notify_external_provider\n  provider: crm\n  payload:\n" + _laughs(6, "    ")
    )
    started = time.thread_time()
    _, _, issues = check_rule_files([tmp_path])
    assert time.thread_time() - started < SLOWEST
    assert [i.located() for i in issues] == [
        f"{tmp_path}/r.yaml: refused at line 13, column 9: YAML aliases expand the document "
        "by more than 100,000 values (each use of an alias counts its value again)"
    ]


def test_shared_values_count_once_per_use_in_a_rule() -> None:
    shared: Any = ["lol"] * 9
    for _ in range(5):
        shared = [shared] * 9  # 9**6 strings, as YAML aliases would build it
    found = problems(
        raw_rule(
            actions=[{"kind": "notify_external_provider", "provider": "crm", "payload": shared}]
        )
    )
    assert found == [
        "r1: actions[0].payload[1][4][4][8]: the rule has more than 100,000 values in all "
        "(this list has 9 items; YAML aliases count each time they are used)"
    ]


def test_yaml_merge_key_bombs_are_refused_before_merging(tmp_path: Path) -> None:
    lines = ["m0: &m0 {a: 1, b: 2}"]
    for i in range(1, 40):
        lines.append(f"m{i}: &m{i} {{<<: [*m{i - 1}, *m{i - 1}], k{i}: {i}}}")
    (tmp_path / "r.yaml").write_text("\n".join(lines) + "\n")
    started = time.thread_time()
    _, issues = read_definition_files([tmp_path])
    assert time.thread_time() - started < SLOWEST
    (issue,) = issues
    assert "YAML aliases expand the document by more than 100,000 values" in str(issue)


def test_small_anchors_and_merge_keys_still_work(tmp_path: Path) -> None:
    (tmp_path / "r.yaml").write_text(
        "- &base\n  event: online_activity\n  actions: [{kind: remove_from_list}]\n"
        "  id: a\n  name: A\n  when: &pricing {current_page: {contains: /pricing}}\n"
        "- <<: &common {event: online_activity, actions: [{kind: remove_from_list}]}\n"
        "  id: b\n  name: B\n  when: {not: *pricing}\n"
    )
    rules = compile_rules(read_definition_files([tmp_path])[0])
    assert sorted(rules.rules) == ["a", "b"]
    assert rules.rules["b"].data["when"] == {"not": {"current_page": {"contains": "/pricing"}}}


def test_deep_yaml_keys_are_refused_not_crashing(tmp_path: Path) -> None:
    (tmp_path / "r.yaml").write_text("id: r1\n? " + "[" * 990 + "]" * 990 + "\n: 1\n")
    _, issues = read_definition_files([tmp_path])
    assert [str(i) for i in issues] == [
        f"{tmp_path}/r.yaml: refused at line 2, column 892: the document nests deeper than "
        "100 levels"
    ]


def test_deep_json_is_refused_not_crashing(tmp_path: Path) -> None:
    (tmp_path / "r.json").write_text(
        '{"id": "r1", "event": "online_activity", "actions": [{"kind": "remove_from_list"}], '
        '"name": ' + "[" * 1000 + "]" * 1000 + "}"
    )
    _, _, issues = check_rule_files([tmp_path])
    (issue,) = issues
    assert issue.located().startswith("r1: name[0][0]")
    assert issue.located().endswith(
        f"]: the rule nests deeper than 100 levels (in {tmp_path}/r.json)"
    )
    (tmp_path / "r.json").write_bytes(b"[" * 100_000 + b"]" * 100_000)
    _, _, issues = check_rule_files([tmp_path])
    (issue,) = issues
    assert str(issue).startswith(f"{tmp_path}/r.json: invalid JSON at line 1, column")


def test_files_beyond_the_size_limit_are_refused_unread(tmp_path: Path) -> None:
    (tmp_path / "r.yaml").write_bytes(b"# " + b"x" * MAX_FILE_BYTES + b"\n")
    _, issues = read_definition_files([tmp_path])
    assert [str(i) for i in issues] == [
        f"{tmp_path}/r.yaml: the file is larger than 1 MiB (1,048,576 bytes): "
        "split it into several files"
    ]


def test_rule_topic_values_are_checked_the_same_way() -> None:
    with pytest.raises(RuleValidationError) as caught:
        compile_rule(raw_rule(when={"hits": {"eq": 2**64}}))
    assert caught.value.issues[0].path == "when.hits.eq"


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("9" * 5000, "integer out of range: an integer of 5,000 characters"),
        ("1:" * 3000 + "1", "integer out of range: an integer of 6,001 characters"),
        ("0x" + "f" * 30, None),
    ],
)
def test_long_yaml_integers_are_refused_as_read(
    tmp_path: Path, text: str, message: str | None
) -> None:
    (tmp_path / "r.yaml").write_text(
        f"id: r1\nname: n\nevent: online_activity\nwhen: {{hits: {{eq: {text}}}}}\n"
        "actions: [{kind: remove_from_list}]\n"
    )
    started = time.thread_time()
    _, _, issues = check_rule_files([tmp_path])
    assert time.thread_time() - started < SLOWEST
    (issue,) = issues
    if message is None:
        assert str(issue) == "r1: when.hits.eq: " + OUT_OF_RANGE.format(16**30 - 1)
    else:
        assert str(issue) == (
            f"{tmp_path}/r.yaml: invalid YAML at line 4, column 19: {message} "
            "(integers go from -2^63 to 2^64-1, -9223372036854775808 to 18446744073709551615)"
        )


def test_every_problem_is_one_line_whatever_the_keys_hold() -> None:
    found = problems(
        raw_rule(
            when={"a\nb": {"eq": 1}, "c": 1},
            actions=[{"kind": "send_email", "to": ["x\u2028y"], "subject": "{{a\nb}}"}],
        )
    )
    assert all(len(line.splitlines()) == 1 for line in found)
    assert "r1: when: a condition has exactly one key, got a\\nb, c" in found[0]


def test_dense_yaml_files_are_refused_as_composed(tmp_path: Path) -> None:
    (tmp_path / "r.yaml").write_text("name: [" + ",".join(["1"] * 200_000) + "]\n")
    started = time.thread_time()
    _, issues = read_definition_files([tmp_path])
    assert time.thread_time() - started < SLOWEST
    assert [str(i) for i in issues] == [
        f"{tmp_path}/r.yaml: refused: the file has more than 100,000 values (split it into "
        "several files)"
    ]


def test_the_alias_budget_is_per_file_not_per_document(tmp_path: Path) -> None:
    one = _laughs(5)  # 9**5 = 59,049 strings
    (tmp_path / "r.yaml").write_text(one + "---\n" + one)
    _, issues = read_definition_files([tmp_path])
    (issue,) = issues
    assert "YAML aliases expand the document by more than 100,000 values" in str(issue)
    (tmp_path / "r.yaml").write_text(one)
    found, issues = read_definition_files([tmp_path])
    assert issues == []
    assert len(found) == 1


def test_profile_files_share_the_loader_and_its_limits(tmp_path: Path) -> None:
    from footfall.profiles import DefinitionError, load_profiles

    (tmp_path / "p.yaml").write_text(
        "id: admin\n" + _laughs(8) + "emails: [*l7,*l7,*l7,*l7,*l7,*l7,*l7,*l7,*l7]\n"
    )
    started = time.thread_time()
    with pytest.raises(DefinitionError) as caught:
        load_profiles([tmp_path])
    assert time.thread_time() - started < SLOWEST
    (issue,) = caught.value.issues
    assert "YAML aliases expand the document by more than 100,000 values" in str(issue)
