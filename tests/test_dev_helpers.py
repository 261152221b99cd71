"""The pure helpers of footfall dev: child environments and the pushed copy of examples."""

from __future__ import annotations

import io
import re
import socket
from pathlib import Path

import pytest

from footfall.dev import (
    EXAMPLE_SINK_URL,
    PROVIDER_SECRET_ENV,
    DevError,
    DevOptions,
    child_environment,
    copy_examples,
    run_dev,
)
from footfall.rules import compile_rules, load_rule_files
from footfall.settings import Settings

EXAMPLES = Path(__file__).resolve().parents[1] / "examples"


def test_child_environment_points_services_at_the_local_parts(tmp_path: Path) -> None:
    base = {
        "PATH": "/usr/bin",
        "FOOTFALL_TICK": "10s",
        "FOOTFALL_HTTP_ALLOWLIST": "hooks.example.com",
        "FOOTFALL_SMTP_PASSWORD": "from-the-shell",
        "FOOTFALL_BROKER": "elsewhere:9092",
        "FOOTFALL_KAFKA_SECURITY_PROTOCOL": "SASL_SSL",
    }
    env = child_environment(
        base,
        broker="127.0.0.1:40000",
        run_dir=tmp_path,
        web_port=6070,
        smtp=("127.0.0.1", 2525),
        provider_secret="whsec_abc",
        admin_token="token",
    )
    settings = Settings.from_env(env)
    assert settings.broker == "127.0.0.1:40000"
    assert settings.kafka.protocol == "PLAINTEXT"  # the local broker, not the shell's cluster
    assert settings.tick == 10.0  # the user's other settings still apply
    assert settings.state_dir == tmp_path / "state"
    assert settings.log_dir == tmp_path / "action-logs"
    assert settings.web_port == 6070 and settings.web_host == "127.0.0.1"
    assert (settings.smtp.host, settings.smtp.port, settings.smtp.tls) == (
        "127.0.0.1",
        2525,
        "none",
    )
    assert settings.smtp.password is None  # the sink takes no login
    assert settings.http_allowlist == ("hooks.example.com", "127.0.0.1", "localhost")
    assert settings.admin_token == "token"
    assert env[PROVIDER_SECRET_ENV] == "whsec_abc"
    assert env["PATH"] == "/usr/bin"
    assert base["FOOTFALL_BROKER"] == "elsewhere:9092"  # not changed in place


def test_copy_examples_rewrites_sink_urls_and_stays_valid(tmp_path: Path) -> None:
    sink = "http://127.0.0.1:18025"
    copied = copy_examples(EXAMPLES, tmp_path, sink)
    assert set(copied) == {"rules", "profiles", "providers"}
    text = "".join(p.read_text() for p in tmp_path.rglob("*.yaml"))
    assert EXAMPLE_SINK_URL + "/" not in text
    assert f"{sink}/crm/checkout" in text and f"{sink}/providers/crm" in text
    originals = sorted(p.name for p in (EXAMPLES / "rules").glob("*.yaml"))
    assert sorted(p.name for p in copied["rules"].iterdir()) == originals
    rules = compile_rules(load_rule_files([copied["rules"]]))
    assert len(rules) == len(compile_rules(load_rule_files([EXAMPLES / "rules"])))


def test_copy_examples_needs_rules(tmp_path: Path) -> None:
    (tmp_path / "src" / "profiles").mkdir(parents=True)
    with pytest.raises(DevError, match="no rules directory"):
        copy_examples(tmp_path / "src", tmp_path / "out", EXAMPLE_SINK_URL)


async def test_run_dev_fails_cleanly_without_example_rules(tmp_path: Path) -> None:
    out = io.StringIO()
    options = DevOptions(examples=tmp_path / "nothing", run_dir=tmp_path / "runs")
    code = await run_dev(Settings(), options, out=out)
    assert code == 1
    assert "no example rules" in out.getvalue()
    assert "stopped" in out.getvalue()
    assert list((tmp_path / "runs").iterdir()) == []  # the run directory is removed


async def test_run_dev_refuses_a_busy_port_before_starting_anything(tmp_path: Path) -> None:
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        out = io.StringIO()
        options = DevOptions(
            examples=EXAMPLES,
            web_port=port - 1,
            workers=2,
            webhook_port=0,
            run_dir=tmp_path / "runs",
        )
        code = await run_dev(Settings(), options, out=out)
    assert code == 1
    refused = re.search(r"port (\d+) on 127\.0\.0\.1 is in use", out.getvalue())
    assert refused is not None and int(refused.group(1)) in (port - 1, port)
    assert "Kafka" not in out.getvalue()  # nothing was started
    assert list((tmp_path / "runs").iterdir()) == []
