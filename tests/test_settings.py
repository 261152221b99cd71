from __future__ import annotations

from pathlib import Path

import pytest

from footfall.errors import ConfigError
from footfall.settings import Settings


def test_defaults_match_the_spec() -> None:
    s = Settings.from_env({})
    assert s.broker == "localhost:9092"
    assert s.topic_prefix == "footfall."
    assert s.partitions == 8
    assert (s.tick, s.idle_timeout, s.invitation_timeout) == (30.0, 900.0, 120.0)
    assert s.max_event_bytes == 65536
    assert s.processor_web_port() == 6066
    assert s.worker_web_port() == 6067
    assert s.kafka.protocol == "PLAINTEXT"
    assert s.smtp.tls == "none"
    assert s.retry_schedule == (5.0, 300.0, 1800.0, 7200.0, 18000.0)
    assert s.admin_token is None
    assert s.topic("actions") == "footfall.actions"


def test_every_variable_is_read() -> None:
    env = {
        "FOOTFALL_BROKER": "k1:9093, k2:9093",
        "FOOTFALL_KAFKA_SECURITY_PROTOCOL": "sasl_ssl",
        "FOOTFALL_KAFKA_SASL_MECHANISM": "SCRAM-SHA-512",
        "FOOTFALL_KAFKA_SASL_USERNAME": "svc",
        "FOOTFALL_KAFKA_SASL_PASSWORD": "pw",
        "FOOTFALL_KAFKA_SSL_CAFILE": "/etc/ca.pem",
        "FOOTFALL_TOPIC_PREFIX": "acme.",
        "FOOTFALL_PARTITIONS": "12",
        "FOOTFALL_TICK": "10s",
        "FOOTFALL_IDLE_TIMEOUT": "20m",
        "FOOTFALL_INVITATION_TIMEOUT": "0",
        "FOOTFALL_MAX_EVENT_BYTES": "1000",
        "FOOTFALL_STATE_DIR": "/var/lib/footfall",
        "FOOTFALL_WEB_PORT": "8080",
        "FOOTFALL_ADMIN_TOKEN": "secret-token",
        "FOOTFALL_SMTP_HOST": "mail",
        "FOOTFALL_SMTP_PORT": "587",
        "FOOTFALL_SMTP_TLS": "starttls",
        "FOOTFALL_MAIL_FROM": "bot@example.com",
        "FOOTFALL_LOG_DIR": "/var/log/footfall",
        "FOOTFALL_HTTP_ALLOWLIST": "hooks.internal, 10.1.0.0/16",
        "FOOTFALL_WORKER_CONCURRENCY": "8",
        "FOOTFALL_RETRY_SCHEDULE": "1s,2m",
    }
    s = Settings.from_env(env)
    assert s.bootstrap_servers == ["k1:9093", "k2:9093"]
    assert s.kafka.protocol == "SASL_SSL"
    assert s.kafka.sasl_mechanism == "SCRAM-SHA-512"
    assert (s.kafka.sasl_username, s.kafka.sasl_password) == ("svc", "pw")
    assert s.kafka.ssl_cafile == "/etc/ca.pem"
    assert s.topic("rules") == "acme.rules"
    assert s.partitions == 12
    assert (s.tick, s.idle_timeout, s.invitation_timeout) == (10.0, 1200.0, 0.0)
    assert s.max_event_bytes == 1000
    assert s.state_dir == Path("/var/lib/footfall")
    assert s.processor_web_port() == s.worker_web_port() == 8080
    assert s.admin_token == "secret-token"
    assert (s.smtp.host, s.smtp.port, s.smtp.tls) == ("mail", 587, "starttls")
    assert s.smtp.mail_from == "bot@example.com"
    assert s.log_dir == Path("/var/log/footfall")
    assert s.http_allowlist == ("hooks.internal", "10.1.0.0/16")
    assert s.worker_concurrency == 8
    assert s.retry_schedule == (1.0, 120.0)
    assert set(env) <= set(Settings.variable_names())


def test_secrets_stay_out_of_repr() -> None:
    s = Settings.from_env({"FOOTFALL_ADMIN_TOKEN": "t0ken", "FOOTFALL_SMTP_PASSWORD": "pw1234"})
    assert "t0ken" not in repr(s)
    assert "pw1234" not in repr(s)


@pytest.mark.parametrize(
    ("name", "value", "fragment"),
    [
        ("FOOTFALL_PARTITIONS", "many", "FOOTFALL_PARTITIONS='many': expected a whole number"),
        ("FOOTFALL_PARTITIONS", "0", "must be at least 1"),
        ("FOOTFALL_TICK", "soon", "FOOTFALL_TICK: bad duration 'soon'"),
        ("FOOTFALL_TICK", "0", "must be longer than 0"),
        ("FOOTFALL_SMTP_TLS", "ssl", "expected one of none, starttls, tls"),
        ("FOOTFALL_KAFKA_SECURITY_PROTOCOL", "TLS", "expected one of PLAINTEXT"),
        ("FOOTFALL_RETRY_SCHEDULE", "5s,later", "FOOTFALL_RETRY_SCHEDULE: bad duration"),
    ],
)
def test_bad_values_name_the_variable(name: str, value: str, fragment: str) -> None:
    with pytest.raises(ConfigError) as info:
        Settings.from_env({name: value})
    assert fragment in str(info.value)


def test_sasl_options_reach_aiokafka() -> None:
    s = Settings.from_env(
        {
            "FOOTFALL_KAFKA_SECURITY_PROTOCOL": "SASL_PLAINTEXT",
            "FOOTFALL_KAFKA_SASL_USERNAME": "u",
            "FOOTFALL_KAFKA_SASL_PASSWORD": "p",
        }
    )
    kwargs = s.kafka.aiokafka_kwargs()
    assert kwargs == {
        "security_protocol": "SASL_PLAINTEXT",
        "sasl_mechanism": "PLAIN",
        "sasl_plain_username": "u",
        "sasl_plain_password": "p",
    }
    assert Settings().kafka.aiokafka_kwargs() == {"security_protocol": "PLAINTEXT"}


def test_every_variable_is_documented() -> None:
    text = (Path(__file__).parents[1] / "docs" / "configuration.md").read_text()
    missing = [name for name in Settings.variable_names() if f"`{name}`" not in text]
    assert not missing, f"not in docs/configuration.md: {missing}"
