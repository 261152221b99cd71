"""The fixed benchmark workload: rules and events, generated deterministically.

    .venv/bin/python benchmarks/workload.py --out DIR [--rules 1000] [--visitors 10000]
        [--events 200000] [--seed 20261124]

writes ``DIR/rules.json`` (a JSON list of rules, SPEC §4) and ``DIR/events.jsonl`` (one
visitor or chat event per line, SPEC §2, in time order). The same arguments give
byte-identical files, so figures measured on them compare from run to run.

Shape: rules are one selective condition (a page, a country, a site: real targeting
rules hold for a small share of traffic) and one to four others drawn from a mix of
fields and operators, sometimes an ``any`` group or a ``not``; 60 % owned by agents,
5 % disabled, 85 % throttled. Events come from a pool of visitors of which at most
400 are active at a time (a new one joins with probability 0.08 per event), spread over
six hours of visitor time: 90 % page views, 3 % chat invitations, 2 % answers to one,
4 % chat messages, 1 % session ends. Standard library only.
"""

from __future__ import annotations

import argparse
import json
import random
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

PAGES = (
    "/", "/pricing", "/pricing/enterprise", "/features", "/features/chat", "/docs",
    "/docs/install", "/docs/api", "/blog", "/blog/launch", "/contact", "/checkout",
    "/checkout/step-2", "/checkout/done", "/support", "/jobs", "/about", "/partners",
    "/security", "/status",
)  # fmt: skip
COUNTRIES = (
    "US", "DE", "GB", "FR", "IN", "BR", "JP", "CA", "AU", "NL", "AT", "CH", "ES", "IT",
    "SE", "PL", "MX", "KR", "ZA", "NG",
)  # fmt: skip
LANGUAGES = (
    "en-US", "en-GB", "de-DE", "fr-FR", "es-ES", "pt-BR", "ja-JP", "nl-NL", "it-IT",
    "sv-SE", "pl-PL", "ko-KR",
)  # fmt: skip
BROWSERS = ("Chrome", "Firefox", "Safari", "Edge")
SYSTEMS = ("Windows", "Mac OS X", "Linux", "iOS", "Android")
REFERRERS = (
    "https://www.google.com/",
    "https://duckduckgo.com/",
    "https://news.ycombinator.com/",
    "https://twitter.com/",
    "",
    "https://partner.example.org/",
)
SITES = ("main", "store", "docs")
DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
RULE_EVENTS = ("online_activity",) * 7 + (
    "live_chat_invited",
    "live_chat_accepted",
    "live_chat_rejected",
    "live_chat_invitation_ignored",
    "live_chat_message",
)
ACTION_KINDS = ("send_live_chat_invitation", "call_web_page", "log_to_file", "send_email")
PROFILE_FIELDS = ("referrer", "ip", "country", "language", "browser", "os")
CHAT_TEXTS = ("hello", "how much is the enterprise plan?", "I need help with the install", "thanks")
START = datetime(2026, 3, 2, 8, 0, tzinfo=UTC)
SPAN_MS = 6 * 3600 * 1000  # the events cover six hours of visitor time
ACTIVE = 400  # visitors active at once


def title(page: str) -> str:
    return page.strip("/").replace("/", " - ").title() or "Home"


def condition(rng: random.Random) -> dict[str, Any]:
    """One condition leaf from a mix of fields and operators (cumulative shares)."""
    r = rng.random()
    if r < 0.25:
        if rng.random() < 0.5:
            return {"current_page": {"contains": rng.choice(PAGES[1:])}}
        operator = rng.choice(("eq", "starts_with"))
        return {"current_virtual_page": {operator: rng.choice(PAGES)}}
    if r < 0.40:
        return {"country": {"in": rng.sample(COUNTRIES, rng.randint(1, 4))}}
    if r < 0.50:
        return {"language": {"starts_with": rng.choice(LANGUAGES)[:2]}}
    if r < 0.62:
        return {"hits": {"gte": rng.randint(2, 12)}}
    if r < 0.68:
        least = rng.randint(3, 8)
        return {"hits": {"gte": least, "window": rng.choice(("5m", "10m", "30m"))}}
    if r < 0.74:
        return {"duration_minutes": {"between": sorted((rng.randint(0, 20), rng.randint(1, 40)))}}
    if r < 0.78:
        return {"idle_minutes": {"gt": rng.randint(1, 10)}}
    if r < 0.82:
        hours = rng.choice((["09:00", "17:30"], ["22:00", "06:00"], ["08:00", "20:00"]))
        return {"time_of_day": {"between": hours}}
    if r < 0.85:
        return {"day_of_week": {"in": rng.sample(DAYS, rng.randint(2, 5))}}
    if r < 0.88:
        pattern = rng.choice(("^(Pricing|Checkout)", "Docs - (Api|Install)", "Blog.*Launch"))
        return {"current_page_title": {"matches": pattern}}
    if r < 0.91:
        return {"initial_referrer": {"contains": rng.choice(("google", "ycombinator", "partner"))}}
    if r < 0.94:
        return {"invites_sent": {"lt": rng.randint(1, 3)}}
    if r < 0.96:
        return {"browser": {"in": rng.sample(BROWSERS, 2)}}
    if r < 0.98:
        return {"customer_email": {"exists": rng.random() < 0.5}}
    return {"ip": {"in_cidr": ["10.0.0.0/8", "2001:db8::/32"]}}


def selective_condition(rng: random.Random) -> dict[str, Any]:
    """A leaf that holds for a small share of traffic, as targeting rules have."""
    r = rng.random()
    if r < 0.45:
        operator = rng.choice(("eq", "starts_with"))
        return {"current_virtual_page": {operator: rng.choice(PAGES[1:])}}
    if r < 0.70:
        return {"current_page": {"contains": rng.choice(PAGES[1:])}}
    if r < 0.90:
        return {"country": {"in": rng.sample(COUNTRIES, rng.randint(1, 2))}}
    return {"site": {"eq": rng.choice(SITES)}}


def action(number: int, rng: random.Random) -> dict[str, Any]:
    kind = rng.choice(ACTION_KINDS)
    out: dict[str, Any] = {"kind": kind}
    if kind == "send_live_chat_invitation":
        out["message"] = "Hi {{customer_name}}, questions about {{current_page_title}}?"
    elif kind == "call_web_page":
        out["url"] = "https://hooks.example.com/footfall?v={{visitor_id}}"
        out["method"] = "POST"
    elif kind == "log_to_file":
        out["file"] = f"rules/r{number % 50}.log"
    else:
        out["to"] = ["sales@example.com"]
        out["subject"] = "{{rule.name}}: {{visitor_id}}"
        out["body"] = "{{hits}} hits, on {{current_page}} from {{country}}"
    if rng.random() < 0.85:
        out["max_frequency"] = rng.choice(("1m", "10m", "1h", "1d"))
        out["per"] = rng.choice(("rule", "visitor", "visitor"))
    return out


def rule(number: int, rng: random.Random) -> dict[str, Any]:
    extra = rng.randint(1, 4)
    conditions = [selective_condition(rng)] + [condition(rng) for _ in range(extra)]
    if extra >= 3 and rng.random() < 0.3:
        conditions = [*conditions[:-2], {"any": conditions[-2:]}]
    if rng.random() < 0.05:
        conditions.append({"not": condition(rng)})
    by_agent = rng.random() < 0.6
    event = rng.choice(RULE_EVENTS)
    actions = [action(number, rng)]
    owner = {"role": "agent", "id": f"agent{number % 40}"}
    if not by_agent:
        owner = {"role": "admin", "id": "root"}
    return {
        "id": f"bench-{number:05d}",
        "name": f"Benchmark rule {number}",
        "enabled": rng.random() > 0.05,
        "owner": owner,
        "event": event,
        "timezone": rng.choice(("UTC", "Europe/Berlin", "America/New_York", "Asia/Tokyo")),
        "when": {"all": conditions},
        "actions": actions,
    }


def iso(moment: datetime) -> str:
    return moment.isoformat(timespec="milliseconds").replace("+00:00", "Z")


def profile(number: int, rng: random.Random) -> dict[str, Any]:
    site = rng.choice(SITES)
    octets = (rng.randint(11, 223), rng.randint(0, 255), rng.randint(0, 255), rng.randint(1, 254))
    return {
        "visitor_id": f"v{number:07d}",
        "site": site,
        "ip": ".".join(map(str, octets)),
        "country": rng.choice(COUNTRIES),
        "language": rng.choice(LANGUAGES),
        "browser": rng.choice(BROWSERS),
        "os": rng.choice(SYSTEMS),
        "referrer": rng.choice(REFERRERS),
        "known": rng.random() < 0.2,
    }


def events(visitors: int, count: int, rng: random.Random) -> Iterator[dict[str, Any]]:
    profiles = [profile(number, rng) for number in range(visitors)]
    moment = START
    gap_ms = max(1, SPAN_MS // max(count, 1))
    active: list[int] = []
    for number in range(count):
        moment += timedelta(milliseconds=rng.randint(0, 2 * gap_ms))
        if not active or rng.random() < 0.08:
            active.append(rng.randrange(visitors))
            if len(active) > ACTIVE:
                active.pop(0)
        who = profiles[rng.choice(active)]
        base = {
            "visitor_id": who["visitor_id"],
            "time": iso(moment),
            "event_id": f"e{number:09d}",
            "site": who["site"],
        }
        r = rng.random()
        if r < 0.90:
            yield page_view(base, who, rng)
        elif r < 0.93:
            invitation = {"invitation_id": f"i{number}", "agent": f"agent{number % 40}"}
            yield {"type": "chat_invited", **base, **invitation}
        elif r < 0.95:
            answer = rng.choice(("chat_invitation_accepted", "chat_invitation_rejected"))
            yield {"type": answer, **base, "invitation_id": f"i{number - rng.randint(1, 50)}"}
        elif r < 0.99:
            sender = rng.choice(("visitor", "agent"))
            chat = {"chat_id": f"c{who['visitor_id']}", "sender": sender}
            yield {"type": "chat_message", **base, **chat, "text": rng.choice(CHAT_TEXTS)}
        else:
            yield {"type": "session_end", **base}


def page_view(base: dict[str, Any], who: dict[str, Any], rng: random.Random) -> dict[str, Any]:
    page = rng.choice(PAGES)
    event = {
        "type": "page_view",
        **base,
        "url": f"https://www.example.com{page}",
        "title": title(page),
        "virtual_page": page,
        **{field: who[field] for field in PROFILE_FIELDS},
    }
    if who["known"] and rng.random() < 0.1:
        event["customer"] = {
            "name": f"Customer {who['visitor_id']}",
            "email": f"{who['visitor_id']}@example.net",
        }
    return event


def write(out: Path, *, rules: int, visitors: int, count: int, seed: int) -> None:
    """Write ``rules.json`` and ``events.jsonl`` into ``out``."""
    out.mkdir(parents=True, exist_ok=True)
    rng = random.Random(seed)
    rule_list = [rule(number, rng) for number in range(rules)]
    (out / "rules.json").write_text(json.dumps(rule_list, indent=1) + "\n")
    with (out / "events.jsonl").open("w") as lines:
        for event in events(visitors, count, rng):
            lines.write(json.dumps(event, separators=(",", ":")) + "\n")


def main() -> None:
    ap = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    ap.add_argument("--rules", type=int, default=1000)
    ap.add_argument("--visitors", type=int, default=10000)
    ap.add_argument("--events", type=int, default=200000)
    ap.add_argument("--seed", type=int, default=20261124)
    ap.add_argument("--out", type=Path, required=True)
    a = ap.parse_args()
    write(a.out, rules=a.rules, visitors=a.visitors, count=a.events, seed=a.seed)
    print(f"{a.rules} rules, {a.events} events for {a.visitors} visitors in {a.out}")


if __name__ == "__main__":
    main()
