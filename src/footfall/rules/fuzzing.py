"""Hostile rule documents for validation: mutations of valid rules, as YAML and JSON files.

:func:`hostile_rule_documents` yields, from a seed and some valid rules, rule files as a
careless or hostile author could write them: wrong types, huge strings and lists, deep
nesting, unknown keys, odd Unicode, integers beyond 64 bits, NaN and infinities, YAML
aliases ("billion laughs"), merge keys, tags, duplicate keys, and bytes cut, flipped or
repeated. :func:`run_rule_fuzz` validates each one with the function ``footfall rules
validate`` uses: anything but a list of problems is a crash, and the CPU time of every
validation is kept. The tests and ``benchmarks/fuzz_rules.py`` use them.
"""

from __future__ import annotations

import contextlib
import json
import math
import random
import tempfile
import time
import traceback
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from footfall.rules.loader import read_definition_files

__all__ = ["FuzzReport", "hostile_rule_documents", "load_seed_rules", "run_rule_fuzz"]

_Dumper: Any = getattr(yaml, "CSafeDumper", yaml.SafeDumper)
#: Stands for a value spliced in as text after serialising (deep nesting, aliases).
_MARK = "zzfuzzsplicezz"

#: A valid rule used when no seed rules are given.
BUILTIN_RULE: dict[str, Any] = {
    "id": "invite-pricing-visitors",
    "name": "Invite engaged pricing visitors",
    "owner": {"role": "agent", "id": "alice"},
    "event": "online_activity",
    "timezone": "Europe/Berlin",
    "when": {
        "all": [
            {"current_page": {"contains": "/pricing"}},
            {"hits": {"gte": 3}},
            {"duration_minutes": {"between": [2, 30]}},
            {"time_of_day": {"between": ["09:00", "17:30"]}},
            {"day_of_week": {"in": ["mon", "tue", "wed", "thu", "fri"]}},
            {"any": [{"country": {"in": ["DE", "AT", "CH"]}}, {"language": {"starts_with": "de"}}]},
            {"sent_message": {"contains_words": ["refund", "money back"]}},
            {"current_page_title": {"matches": "^(Pricing|Checkout)"}},
            {"ip": {"in_cidr": ["10.0.0.0/8", "2001:db8::/32"]}},
            {"session_start": {"within": "30m"}},
            {"invites_sent": {"lt": 1, "window": "1d"}},
        ]
    },
    "actions": [
        {
            "kind": "send_live_chat_invitation",
            "message": "Hallo {{customer_name}}, Fragen zu den Preisen?",
            "max_frequency": "1h",
            "per": "visitor",
        },
        {
            "kind": "call_web_page",
            "url": "https://hooks.example.com/f?v={{visitor_id}}",
            "method": "POST",
            "headers": {"X-Rule": "{{rule.id}}"},
            "body": {"visitor": "{{visitor_id}}", "hits": "{{hits}}"},
            "timeout": "5s",
        },
        {"kind": "send_email", "to": ["sales@example.com"], "subject": "{{visitor_id}}"},
        {"kind": "log_to_file", "file": "rules/pricing.log", "line": "{{event.time}}"},
        {"kind": "notify_external_provider", "provider": "crm", "payload": {"n": 1}},
    ],
}

_ODD_TEXT = [
    "",
    " ",
    "\u0000",
    "\n\r\t",
    "\u202e\u202dRTL",
    "e\u0301\u0301\u0301",
    "\ufeffbom",
    "İstanbul",
    "straße",
    "ﬃ",
    "😀" * 20,
    "\U0010ffff",
    "\u2028\u2029",
    "{{",
    "}}",
    "{{visitor_id",
    "{{ rule }}",
    "{{hits}}",
    "{{{{{{{{}}}}",
    "../../etc/passwd",
    "C:\\x",
    "~/x",
    "http://[::1",
    "https://{{host}}/",
    "(?=x)",
    "(a",
    "a{1000}{1000}",
    "\\",
    "09:00",
    "24:00",
    "2026-03-01",
    "2026-03-01T09:00:00",
    "0.0.0.0/0",
    "::/0",
    "10.0.0.1/8",
    "1h30m",
    "-5m",
    "0",
    "1e309",
    "NaN",
    "Europe/../../etc",
    "a" * 300,
]
_SCALARS: list[Any] = [
    None,
    True,
    False,
    0,
    -1,
    1,
    1.5,
    -0.0,
    2**63,
    2**63 - 1,
    -(2**63),
    2**64 - 1,
    2**64,
    -(2**63) - 1,
    10**400,
    -(10**30),
    1e308,
    float("nan"),
    float("inf"),
    float("-inf"),
    5e-324,
]
_KEYS = [
    "id",
    "name",
    "enabled",
    "owner",
    "event",
    "timezone",
    "when",
    "actions",
    "descr",
    "all",
    "any",
    "not",
    "kind",
    "url",
    "body",
    "payload",
    "eq",
    "in",
    "between",
    "window",
    "matches",
    "contains_words",
    "hits",
    "sent_message",
    "",
    "\u0000",
    "<<",
]


def load_seed_rules(paths: Sequence[str | Path]) -> list[dict[str, Any]]:
    """The rules (as plain values) in rule files, e.g. ``examples/rules``; invalid ones too."""
    found, _ = read_definition_files(paths)
    return [dict(item.data) for item in found]


@dataclass
class FuzzReport:
    """What :func:`run_rule_fuzz` saw."""

    count: int = 0
    valid: int = 0
    crashes: list[str] = field(default_factory=list)
    cpu_seconds: list[float] = field(default_factory=list)
    wall_seconds: list[float] = field(default_factory=list)
    slowest_kind: str = ""

    @property
    def slowest(self) -> float:
        return max(self.cpu_seconds, default=0.0)

    @property
    def slowest_wall(self) -> float:
        return max(self.wall_seconds, default=0.0)

    def percentile(self, p: float, wall: bool = False) -> float:
        data = sorted(self.wall_seconds if wall else self.cpu_seconds)
        if not data:
            return 0.0
        return data[min(len(data) - 1, math.ceil(p / 100 * len(data)) - 1)]


def hostile_rule_documents(
    seeds: Sequence[Mapping[str, Any]], seed: int = 0, count: int = 1000
) -> Iterator[tuple[str, str, bytes]]:
    """``count`` rule files: (what was done, file suffix, content), from ``seed``."""
    rnd = random.Random(seed)
    pool = [dict(s) for s in seeds] or [BUILTIN_RULE]
    for n in range(count):
        base = json.loads(json.dumps(rnd.choice(pool), default=str))
        if rnd.random() < 0.1:
            yield "text", *_text_mutation(rnd, base)
            continue
        kinds = []
        value: Any = base
        splices: dict[str, tuple[str, str]] = {}
        for _ in range(rnd.choice((1, 1, 1, 2, 3))):
            kind, value = _mutate(rnd, value, splices)
            kinds.append(kind)
        suffix = ".json" if n % 2 else rnd.choice((".yaml", ".yml"))
        if rnd.random() < 0.15:
            value = [value, *(rnd.choice(pool) for _ in range(rnd.randint(0, 3)))]
        yield "+".join(kinds), suffix, _encode(rnd, value, suffix, splices)


def _paths(value: Any, limit: int = 400) -> list[tuple[Any, Any]]:
    """(container, key) pairs inside ``value``, up to ``limit``."""
    out: list[tuple[Any, Any]] = []
    stack = [value]
    while stack and len(out) < limit:
        item = stack.pop()
        if isinstance(item, dict):
            for k in list(item):
                out.append((item, k))
                stack.append(item[k])
        elif isinstance(item, list):
            for i in range(len(item)):
                out.append((item, i))
                stack.append(item[i])
    return out


def _deep(rnd: random.Random) -> Any:
    levels = rnd.choice((20, 40, 99, 101, 150))
    value: Any = rnd.choice(([], {}, "x", 1))
    for _ in range(levels):
        value = [value] if rnd.random() < 0.5 else {"all": [value]}
    return value


def _huge(rnd: random.Random, splices: dict[str, tuple[str, str]]) -> Any:
    """A huge value, spliced in as JSON text (also YAML) so that writing it stays cheap."""
    size = rnd.choice((1_000, 10_001, 20_000, 20_000, 100_001))
    choice = rnd.randrange(6)
    value: Any
    if choice == 0:
        value = "x" * (size * 10)
    elif choice == 1:
        value = "{{" * size
    elif choice == 2:
        value = [f"w{i}" for i in range(size)]
    elif choice == 3:
        value = {f"k{i}": i for i in range(min(size, 60_000))}
    elif choice == 4:
        value = "(a|b)" * size
    else:
        value = ["".join(rnd.choice("abcdefghij ") for _ in range(8)) for _ in range(size)]
    text = json.dumps(value)
    return _splice(splices, text, text)


def _splice(splices: dict[str, tuple[str, str]], yaml_text: str, json_text: str) -> str:
    mark = f"{_MARK}{len(splices)}{_MARK}"
    splices[mark] = (yaml_text, json_text)
    return mark


def _replacement(rnd: random.Random, splices: dict[str, tuple[str, str]]) -> tuple[str, Any]:
    pick = rnd.random()
    if pick < 0.03:  # integers as YAML text: thousands of digits, sexagesimal, hex
        text = rnd.choice(("9" * 5000, "1:" * 3000 + "1", "0x" + "f" * 3000, "-" + "9" * 999))
        return "bigtext", _splice(splices, text, text)
    if pick < 0.3:
        return "scalar", rnd.choice(_SCALARS)
    if pick < 0.55:
        return "text", rnd.choice(_ODD_TEXT)
    if pick < 0.65:
        return "deep", _deep(rnd)
    if pick < 0.72:
        return "huge", _huge(rnd, splices)
    if pick < 0.8:
        return "alias", _splice(splices, _laughs(rnd), "[[[[" + "[]," * 50 + "[]" + "]]]]")
    if pick < 0.85:
        return "cycle", _splice(splices, "&c [*c, [*c]]", '{"a": {"a": 1, "a": 2}}')
    if pick < 0.92:
        return "container", rnd.choice(([], {}, [[]], [{}], {"": None}, [None] * 5))
    return "list", [rnd.choice(_SCALARS + _ODD_TEXT) for _ in range(rnd.randint(1, 12))]


def _mutate(rnd: random.Random, value: Any, splices: dict[str, tuple[str, str]]) -> tuple[str, Any]:
    places = _paths(value)
    pick = rnd.random()
    if pick < 0.15 and isinstance(value, dict):
        key = rnd.choice(_KEYS + _ODD_TEXT)
        kind, new = _replacement(rnd, splices)
        container = rnd.choice([c for c, _ in places if isinstance(c, dict)] or [value])
        container[key] = new
        return f"key:{kind}", value
    if pick < 0.22 and places:
        container, key = rnd.choice(places)
        del container[key]
        return "delete", value
    if pick < 0.3 and places:
        container, key = rnd.choice(places)
        if isinstance(container, dict) and isinstance(key, str):
            container[rnd.choice(_ODD_TEXT) + key] = container.pop(key)
            return "rename", value
    if pick < 0.35:
        return _replacement(rnd, splices)
    if not places:
        return _replacement(rnd, splices)
    container, key = rnd.choice(places)
    kind, new = _replacement(rnd, splices)
    container[key] = new
    return kind, value


def _laughs(rnd: random.Random) -> str:
    levels = rnd.choice((3, 5, 7, 9, 12))
    width = rnd.choice((2, 9, 10))
    parts = [f"l0: &l0 [{','.join(['lol'] * width)}]"]
    for i in range(1, levels):
        parts.append(f"l{i}: &l{i} [{','.join([f'*l{i - 1}'] * width)}]")
    if rnd.random() < 0.3:  # a merge-key bomb
        parts.append(f"m0: &m0 {{a: *l{levels - 1}, b: 1}}")
        for i in range(1, levels):
            parts.append(f"m{i}: &m{i} {{<<: [*m{i - 1}], k{i}: *m{i - 1}}}")
    return "{" + ", ".join(parts) + "}"


def _encode(
    rnd: random.Random, value: Any, suffix: str, splices: dict[str, tuple[str, str]]
) -> bytes:
    """``value`` as YAML (flow or block) or JSON text, with the splice marks replaced."""
    if suffix == ".json":
        text = json.dumps(value, ensure_ascii=False, default=str)
        for mark, (_, json_text) in splices.items():
            text = text.replace(json.dumps(mark, ensure_ascii=False), json_text)
        if rnd.random() < 0.5:
            with contextlib.suppress(ValueError):  # integers of thousands of digits
                text = json.dumps(json.loads(text))  # the same, with \u escapes
    else:
        flow = rnd.random() < 0.3
        try:
            text = yaml.dump(
                value,
                Dumper=_Dumper,
                default_flow_style=flow,
                allow_unicode=rnd.random() < 0.7,
                sort_keys=False,
                width=rnd.choice((80, 10**6)),
            )
        except (yaml.YAMLError, RecursionError):
            text = json.dumps(value, default=str)
        for mark, (yaml_text, _) in splices.items():
            for quoted in (f"'{mark}'", f'"{mark}"', mark):
                text = text.replace(quoted, yaml_text)
    return text.encode("utf-8", "surrogatepass")


def _text_mutation(rnd: random.Random, base: dict[str, Any]) -> tuple[str, bytes]:
    suffix = rnd.choice((".yaml", ".json"))
    raw = bytearray(_encode(rnd, base, suffix, {}))
    pick = rnd.randrange(9)
    if pick == 0 and raw:
        del raw[rnd.randrange(len(raw)) :]
    elif pick == 1 and raw:
        for _ in range(rnd.randint(1, 8)):
            raw[rnd.randrange(len(raw))] = rnd.randrange(256)
    elif pick == 2 and raw:
        i = rnd.randrange(len(raw))
        raw[i:i] = raw[i : i + rnd.randint(1, 200)] * rnd.randint(2, 500)
    elif pick == 3:
        levels = rnd.choice((500, 1100, 50_000))
        opener = "[" if rnd.random() < 0.5 else '{"a":'
        closer = "]" if opener == "[" else "}"
        raw = bytearray(('{"name": ' + opener * levels + "1" + closer * levels + "}").encode())
    elif pick == 4:
        raw = bytearray(
            (
                "id: r1\nevent: online_activity\nactions: [{kind: remove_from_list}]\n"
                f"name: {_laughs(rnd)}\n"
            ).encode()
        )
        suffix = ".yaml"
    elif pick == 5:
        raw = bytearray(b"id: r1\nid: r2\nname: !!binary aGVsbG8=\nwhen: !!set {a, b}\n")
        suffix = ".yaml"
    elif pick == 6:
        raw = bytearray(b"!!python/object/apply:os.system ['true']\n")
        suffix = ".yaml"
    elif pick == 7:
        raw = bytearray(b'{"id": "r1", "name": NaN, "n": 1e999, "x": 123456789012345678901234}')
        suffix = ".json"
    else:
        raw = bytearray(b"\xff\xfe" + bytes(raw))
    return suffix, bytes(raw)


#: A document whose validation took longer than this (CPU seconds) is timed again,
#: :data:`REMEASURES` times, and the least time is kept.
REMEASURE_OVER = 0.5
REMEASURES = 2


def run_rule_fuzz(documents: Iterator[tuple[str, str, bytes]]) -> FuzzReport:
    """Validate every document as ``footfall rules validate`` does; count crashes and time."""
    from footfall.cli.rules import check_rule_files  # the validate command's own function

    report = FuzzReport()
    with tempfile.TemporaryDirectory(prefix="footfall-fuzz-") as tmp:
        for i, (kind, suffix, content) in enumerate(documents):
            path = Path(tmp) / f"r{i}{suffix}"
            path.write_bytes(content)
            wall, cpu = time.perf_counter(), time.thread_time()
            try:
                _rules, _files, issues = check_rule_files([path])
                if not issues:
                    report.valid += 1
                for issue in issues:
                    line = issue.located()
                    if not line.strip() or len(line.splitlines()) != 1:
                        raise AssertionError(f"a problem not on one line: {issue!r}")
            except Exception:  # noqa: BLE001 - anything else is what the fuzzer looks for
                report.crashes.append(f"{kind} {path.name}: {traceback.format_exc(limit=-3)}")
            cpu = time.thread_time() - cpu
            report.wall_seconds.append(time.perf_counter() - wall)
            for _ in range(REMEASURES if cpu > REMEASURE_OVER else 0):
                # a slow one is timed again: a busy machine's caches are not its work
                again = time.thread_time()
                with contextlib.suppress(Exception):
                    check_rule_files([path])
                cpu = min(cpu, time.thread_time() - again)
            if cpu > report.slowest:
                report.slowest_kind = kind
            report.cpu_seconds.append(cpu)
            report.count += 1
            path.unlink()
    return report
