# ruff: noqa: E501 - exact, greppable messages read best unsplit
"""Validation reports every problem with rule id and path, in the exact SPEC §4.3 form."""

from __future__ import annotations

from typing import Any

import pytest

from footfall.rules import RuleValidationError, compile_rules

from .helpers import problems, raw_rule

CASES = [
    (
        raw_rule(descr="x"),
        ["r1: unknown key 'descr'"],
    ),
    (
        {"id": "r1"},
        ["r1: missing key 'name'", "r1: missing key 'event'", "r1: missing key 'actions'"],
    ),
    (
        [1],
        ["<rule>: a rule must be an object, got [1]"],
    ),
    (
        raw_rule(id="Bad Id"),
        [
            "Bad Id: id: invalid id 'Bad Id': use 1-128 of a-z, 0-9, '.', '_', '-', starting with a letter or digit"
        ],
    ),
    (
        raw_rule(name=""),
        ["r1: name: expected a non-empty string, got ''"],
    ),
    (
        raw_rule(enabled="yes"),
        ["r1: enabled: expected true or false, got 'yes'"],
    ),
    (
        raw_rule(event="online_visitor_removed", owner={"role": "agent", "id": "al"}),
        ["r1: event: only admin rules may use 'online_visitor_removed'"],
    ),
    (
        raw_rule(owner={"role": "agent"}),
        ["r1: owner: an agent owner needs an id"],
    ),
    (
        raw_rule(owner={"role": "boss"}),
        ["r1: owner.role: expected 'admin' or 'agent', got 'boss'"],
    ),
    (
        raw_rule(owner={"role": "admin", "team": "x"}),
        ["r1: owner: unknown key 'team'"],
    ),
    (
        raw_rule(timezone="Mars/Olympus"),
        [
            "r1: timezone: unknown time zone 'Mars/Olympus' (use an IANA name such as 'Europe/Berlin')"
        ],
    ),
    (
        raw_rule(when={"all": [{"hits": {"gte": 1}}, {"hitz": {"gte": 3}}]}),
        ["r1: when.all[1].hitz: unknown field 'hitz'"],
    ),
    (
        raw_rule(when={"hits": {"gte": "3"}}),
        ["r1: when.hits.gte: expected a number, got '3'"],
    ),
    (
        raw_rule(when={"hits": {"gte": True}}),
        [
            "r1: when.hits.gte: expected a number, got true (YAML reads unquoted yes/no/on/off as booleans: quote it)"
        ],
    ),
    (
        raw_rule(when={"current_page": {"matches": "(a"}}),
        ["r1: when.current_page.matches: bad regular expression '(a': missing ): (a"],
    ),
    (
        raw_rule(when={"session_start": {"within": "5 minutes"}}),
        [
            "r1: when.session_start.within: bad duration '5 minutes': use a number and a unit (ms, s, m, h, d, w), e.g. '30s' or '1h30m'"
        ],
    ),
    (
        raw_rule(when={"hits": {"gte": 1, "window": "0"}}),
        ["r1: when.hits.window: expected a duration greater than zero, got '0'"],
    ),
    (
        raw_rule(when={"hits": {"window": "5m"}}),
        ["r1: when.hits.window: 'window' needs a comparison such as gte or lt beside it"],
    ),
    (
        raw_rule(when={"time_of_day": {"between": ["9am", "17:00"]}}),
        ["r1: when.time_of_day.between: expected a time 'HH:MM' (00:00 to 23:59), got '9am'"],
    ),
    (
        raw_rule(when={"time_of_day": {"between": ["09:00", 1050]}}),
        [
            "r1: when.time_of_day.between: expected a time 'HH:MM', got 1050 (YAML read an unquoted time as a number: write '17:30')"
        ],
    ),
    (
        raw_rule(when={"day_of_week": {"in": ["mon", "funday"]}}),
        [
            "r1: when.day_of_week.in: expected a day mon, tue, wed, thu, fri, sat or sun, got 'funday'"
        ],
    ),
    (
        raw_rule(when={"session_start": {"gt": "2026-03-01"}}),
        [
            "r1: when.session_start.gt: expected an RFC 3339 date-time with offset such as '2026-03-01T09:00:00Z', got '2026-03-01'"
        ],
    ),
    (
        raw_rule(when={"ip": {"in_cidr": ["10.0.0.1/8"]}}),
        ["r1: when.ip.in_cidr: '10.0.0.1/8' has host bits set: did you mean '10.0.0.0/8'?"],
    ),
    (
        raw_rule(when={"ip": {"in_cidr": ["300.0.0.0/8"]}}),
        [
            "r1: when.ip.in_cidr: not a CIDR block: '300.0.0.0/8' (e.g. '10.0.0.0/8' or '2001:db8::/32')"
        ],
    ),
    (
        raw_rule(when={"hits": {"between": [5, 2]}}),
        ["r1: when.hits.between: low 5 is greater than high 2"],
    ),
    (
        raw_rule(when={"country": {"in": []}}),
        ["r1: when.country.in: expected a non-empty list, got []"],
    ),
    (
        raw_rule(when={"chat_status": {"eq": "busy"}}),
        ["r1: when.chat_status.eq: expected one of chatting, ended, invited, none, got 'busy'"],
    ),
    (
        raw_rule(when={"country": {"eq": "de"}, "hits": {"gte": 1}}),
        [
            "r1: when: a condition has exactly one key, got country, hits (combine them with all: [...])"
        ],
    ),
    (
        raw_rule(when={"any": []}),
        ["r1: when.any: an 'any' group needs at least one condition"],
    ),
    (
        raw_rule(when={"country": "de"}),
        ["r1: when.country: expected operators such as {eq: ...}, got 'de'"],
    ),
    (
        raw_rule(actions=[]),
        ["r1: actions: expected 1 to 10 actions, got 0"],
    ),
    (
        raw_rule(actions=[{"kind": "send_sms"}]),
        [
            "r1: actions[0].kind: unknown action kind 'send_sms' (use call_web_page, log_to_file, notify_external_provider, purge_from_list, remove_from_list, send_email, send_live_chat_invitation, use_my_notification_profile)"
        ],
    ),
    (
        raw_rule(actions=[{"kind": "purge_from_list", "message": "x"}]),
        ["r1: actions[0]: unknown parameter 'message' (purge_from_list takes no parameters)"],
    ),
    (
        raw_rule(actions=[{"kind": "remove_from_list", "max_frequency": "often", "per": "team"}]),
        [
            "r1: actions[0].max_frequency: bad duration 'often': use a number and a unit (ms, s, m, h, d, w), e.g. '30s' or '1h30m'",
            "r1: actions[0].per: expected 'rule' or 'visitor', got 'team'",
        ],
    ),
    (
        raw_rule(
            actions=[
                {
                    "kind": "send_email",
                    "to": ["a@example.com"],
                    "subject": "{{rule.owner}} {{ customer.name }}",
                }
            ]
        ),
        [
            "r1: actions[0].subject: unknown placeholder {{rule.owner}}",
            "r1: actions[0].subject: unknown placeholder {{customer.name}}",
        ],
    ),
    (
        raw_rule(
            actions=[{"kind": "send_email", "to": ["a@example.com"], "body": "Hi {{customer_name"}]
        ),
        ["r1: actions[0].body: unclosed '{{' (placeholders read {{name}})"],
    ),
    (
        raw_rule(actions=[{"kind": "call_web_page", "url": "file:///etc/passwd"}]),
        [
            "r1: actions[0].url: only http:// and https:// URLs are allowed, got 'file:///etc/passwd'"
        ],
    ),
    (
        raw_rule(actions=[{"kind": "call_web_page", "url": "https://{{site}}.example.com/"}]),
        ["r1: actions[0].url: the host of a URL cannot contain placeholders"],
    ),
    (
        raw_rule(actions=[{"kind": "call_web_page"}]),
        ["r1: actions[0]: missing parameter 'url'"],
    ),
    (
        raw_rule(
            actions=[{"kind": "call_web_page", "url": "https://h.example/", "body": {"a": 1}}]
        ),
        ["r1: actions[0].body: a body needs method POST or PUT"],
    ),
    (
        raw_rule(actions=[{"kind": "log_to_file", "file": "/var/log/x.log"}]),
        [
            "r1: actions[0].file: the log file must be a path relative to the log directory, got '/var/log/x.log'"
        ],
    ),
    (
        raw_rule(actions=[{"kind": "log_to_file", "file": "a/../../x.log"}]),
        [
            "r1: actions[0].file: the log file path cannot leave the log directory ('..'), got 'a/../../x.log'"
        ],
    ),
    (
        raw_rule(actions=[{"kind": "log_to_file", "file": "C:\\logs\\x.log"}]),
        [
            "r1: actions[0].file: the log file must be a path relative to the log directory, got 'C:\\\\logs\\\\x.log'"
        ],
    ),
    (
        raw_rule(actions=[{"kind": "send_email", "to": ["bob"]}]),
        ["r1: actions[0].to[0]: not an email address: 'bob'"],
    ),
]


@pytest.mark.parametrize(("raw", "expected"), CASES)
def test_problem_messages(raw: Any, expected: list[str]) -> None:
    assert problems(raw) == expected


def test_spec_example_message() -> None:
    raw = raw_rule(
        id="invite-pricing-visitors",
        when={"all": [{"current_page": {"contains": "/pricing"}}, {"hits": {"gtee": 3}}]},
    )
    assert problems(raw) == ["invite-pricing-visitors: when.all[1].hits: unknown operator 'gtee'"]


def test_every_problem_of_every_rule_and_duplicate_ids() -> None:
    rules = [
        raw_rule(id="a", when={"hits": {"gtee": 1}}, actions=[{"kind": "nope"}]),
        raw_rule(id="b"),
        raw_rule(id="a"),
        {"name": "no id", "event": "online_activity", "actions": [{"kind": "remove_from_list"}]},
    ]
    with pytest.raises(RuleValidationError) as caught:
        compile_rules(rules)
    assert [str(i) for i in caught.value.issues] == [
        "a: when.hits: unknown operator 'gtee'",
        "a: actions[0].kind: unknown action kind 'nope' (use call_web_page, log_to_file, "
        "notify_external_provider, purge_from_list, remove_from_list, send_email, "
        "send_live_chat_invitation, use_my_notification_profile)",
        "a: id: duplicate id (first defined in rule #1)",
        "<rule #4>: missing key 'id'",
    ]


def test_valid_rules_compile_with_defaults() -> None:
    rules = compile_rules([raw_rule(id="x"), raw_rule(id="y", enabled=False)])
    x = rules.rules["x"]
    assert (x.enabled, x.timezone, x.owner.role, x.owner.id) == (True, "UTC", "admin", None)
    assert [r.id for r in rules.rules_for("online_activity")] == ["x"]


@pytest.mark.parametrize(
    "when",
    [
        {"time_of_day": {"between": ["22:00", "06:00"]}},
        {"customer_email": {"exists": True}},
        {"invites_sent": {"lt": 1, "window": "1d"}},
        {"last_chat_at": {"older_than": "7d", "lt": "2030-01-01T00:00:00+02:00"}},
        {"ip": {"in_cidr": ["10.0.0.0/8", "2001:db8::/32"], "ne": "10.0.0.1"}},
        {"sent_message": {"contains_words": ["price", "quote"], "not_contains": "spam"}},
        {"day_of_week": {"in": ["Mon", "friday"]}},
    ],
)
def test_valid_conditions(when: Any) -> None:
    assert problems(raw_rule(when=when)) == []
