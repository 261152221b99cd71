from __future__ import annotations

import hashlib

from footfall.rules import compile_rule, rule_version

from .helpers import raw_rule


def test_version_is_a_stable_short_hash() -> None:
    raw = raw_rule(when={"hits": {"gte": 3}})
    version = rule_version(raw)
    assert len(version) == 12 and int(version, 16) >= 0
    assert compile_rule(raw).version == version
    assert rule_version(dict(reversed(list(raw.items())))) == version


def test_explicit_defaults_do_not_change_the_version() -> None:
    raw = raw_rule()
    explicit = raw_rule(enabled=True, timezone="UTC", owner={"role": "admin"})
    assert rule_version(raw) == rule_version(explicit)
    assert rule_version(raw) == rule_version(raw_rule(owner={"role": "admin", "id": None}))


def test_any_change_changes_the_version() -> None:
    base = rule_version(raw_rule())
    assert rule_version(raw_rule(name="Other")) != base
    assert rule_version(raw_rule(enabled=False)) != base
    assert rule_version(raw_rule(actions=[{"kind": "purge_from_list"}])) != base


def test_documented_canonical_form() -> None:
    # Pinned: commands carry this version, it must not change between releases.
    assert rule_version(raw_rule()) == rule_version(
        {
            "actions": [{"kind": "remove_from_list"}],
            "event": "online_activity",
            "id": "r1",
            "name": "Rule one",
        }
    )
    canonical = b'{"enabled":true,"id":"x","owner":{"id":null,"role":"admin"},"timezone":"UTC"}'
    assert rule_version({"id": "x"}) == hashlib.sha256(canonical).hexdigest()[:12]
