import orjson

from footfall.worker.directory import Directory


def test_profiles_follow_the_topic_records() -> None:
    d = Directory()
    good = {"id": "agent:alice", "name": "Alice", "emails": ["a@example.com"]}
    d.on_profile(b"agent:alice", orjson.dumps(good))
    assert d.profiles["agent:alice"].emails == ("a@example.com",)
    d.on_profile(b"agent:alice", orjson.dumps({"id": "agent:alice", "emails": ["not-mail"]}))
    assert d.profiles["agent:alice"].emails == ("a@example.com",)  # previous version stays
    d.on_profile(b"agent:alice", b"{broken")
    assert "agent:alice" in d.profiles
    d.on_profile(b"agent:alice", None)
    assert "agent:alice" not in d.profiles
    d.on_profile(None, orjson.dumps(good))
    assert d.profiles == {}


def test_providers_follow_the_topic_records() -> None:
    d = Directory()
    value = {"name": "crm", "url": "https://crm.example/hook", "secret_env": "CRM_SECRET"}
    d.on_provider(b"crm", orjson.dumps(value))
    assert d.providers["crm"].timeout == 10.0
    d.on_provider(b"crm", orjson.dumps({**value, "secret_env": "whsec_abc=="}))
    assert d.providers["crm"].secret_env == "CRM_SECRET"
    d.on_provider(b"crm", None)
    assert d.providers == {}
