"""docker-compose.yml and the Dockerfile: valid Compose, settings and ports agree.

No Docker engine runs here: the file is validated against the Compose Specification's
JSON schema (vendored, see schemas/README.md) and checked against the code.
"""

from __future__ import annotations

import base64
import copy
import json
import re
from pathlib import Path
from typing import Any

import jsonschema
import pytest
import yaml

from footfall.devsinks.__main__ import _parser as sinks_parser
from footfall.settings import PROCESSOR_WEB_PORT, WORKER_WEB_PORT, Settings

ROOT = Path(__file__).resolve().parents[2]
COMPOSE = ROOT / "docker-compose.yml"
SCHEMA = Path(__file__).parent / "schemas" / "compose-spec.json"
FOOTFALL_VAR = re.compile(r"\bFOOTFALL_[A-Z0-9_]+\b")


def load_yaml(path: Path) -> Any:
    with path.open(encoding="utf-8") as file:
        return yaml.safe_load(file)


@pytest.fixture(scope="module")
def compose() -> dict[str, Any]:
    data = load_yaml(COMPOSE)
    assert isinstance(data, dict)
    return data


@pytest.fixture(scope="module")
def validator() -> jsonschema.Draft201909Validator:
    with SCHEMA.open(encoding="utf-8") as file:
        schema = json.load(file)
    jsonschema.Draft201909Validator.check_schema(schema)
    return jsonschema.Draft201909Validator(schema)


def provider_secret_envs() -> set[str]:
    names = set()
    for path in (ROOT / "examples" / "providers").glob("*.yaml"):
        names.add(load_yaml(path)["secret_env"])
    return names


def environment(service: dict[str, Any]) -> dict[str, str]:
    env = service.get("environment", {})
    if isinstance(env, list):
        return dict(item.split("=", 1) for item in env)
    return {str(k): str(v) for k, v in env.items()}


def test_compose_file_is_valid_against_the_compose_schema(
    compose: dict[str, Any], validator: jsonschema.Draft201909Validator
) -> None:
    errors = [f"{e.json_path}: {e.message}" for e in validator.iter_errors(compose)]
    assert errors == []


def test_the_schema_check_rejects_a_broken_file(
    compose: dict[str, Any], validator: jsonschema.Draft201909Validator
) -> None:
    broken = copy.deepcopy(compose)
    broken["services"]["worker"]["restart_policy"] = "always"
    broken["services"]["processor"]["depends_on"]["setup"]["condition"] = "when_ready"
    paths = {e.json_path for e in validator.iter_errors(broken)}
    assert "$.services.worker" in paths
    assert any(p.startswith("$.services.processor.depends_on") for p in paths)


def test_every_footfall_variable_is_a_setting(compose: dict[str, Any]) -> None:
    known = set(Settings.variable_names()) | provider_secret_envs()
    used = set(FOOTFALL_VAR.findall(COMPOSE.read_text(encoding="utf-8")))
    for service in compose["services"].values():
        used |= {name for name in environment(service) if name.startswith("FOOTFALL_")}
    assert used, "the compose file configures footfall by FOOTFALL_* variables"
    assert sorted(used - known) == []


def test_the_provider_secret_is_a_standard_webhooks_secret_shared_by_worker_and_sink(
    compose: dict[str, Any],
) -> None:
    (secret_env,) = provider_secret_envs()
    worker = environment(compose["services"]["worker"])[secret_env]
    sink = environment(compose["services"]["webhook-sink"])[secret_env]
    assert worker == sink
    default = re.fullmatch(r"\$\{" + secret_env + r":-(whsec_[A-Za-z0-9+/=]+)\}", worker)
    assert default is not None
    assert len(base64.b64decode(default.group(1).removeprefix("whsec_"))) >= 16


def published(service: dict[str, Any]) -> list[tuple[str | None, int]]:
    """(host part or None, container port) of each published port."""
    result = []
    for port in service.get("ports", []):
        parts = str(port).split(":")
        result.append((":".join(parts[:-1]) or None, int(parts[-1])))
    return result


def test_web_ports_agree_with_the_settings_defaults(compose: dict[str, Any]) -> None:
    services = compose["services"]
    assert (PROCESSOR_WEB_PORT, WORKER_WEB_PORT) == (6066, 6067)
    assert Settings().processor_web_port() == PROCESSOR_WEB_PORT
    assert Settings().worker_web_port() == WORKER_WEB_PORT
    processor, worker = services["processor"], services["worker"]
    assert environment(processor)["FOOTFALL_WEB_PORT"] == str(PROCESSOR_WEB_PORT)
    assert environment(worker)["FOOTFALL_WEB_PORT"] == str(WORKER_WEB_PORT)
    assert [p for _, p in published(processor)] == [PROCESSOR_WEB_PORT]
    assert [str(p) for p in worker["expose"]] == [str(WORKER_WEB_PORT)]
    assert f":{PROCESSOR_WEB_PORT}/healthz" in " ".join(processor["healthcheck"]["test"])
    assert f":{WORKER_WEB_PORT}/healthz" in " ".join(worker["healthcheck"]["test"])


def test_workers_can_be_scaled(compose: dict[str, Any]) -> None:
    worker = compose["services"]["worker"]
    assert "container_name" not in worker
    assert all(host is None for host, _ in published(worker))
    assert worker["command"] == ["worker"]
    assert compose["services"]["processor"]["command"] == ["processor"]


def test_start_order_waits_for_kafka_and_the_setup(compose: dict[str, Any]) -> None:
    services = compose["services"]
    kafka = services["kafka"]
    assert kafka["image"].startswith("apache/kafka:")
    assert "kafka-broker-api-versions.sh" in " ".join(kafka["healthcheck"]["test"])
    assert kafka["environment"]["KAFKA_PROCESS_ROLES"] == "broker,controller"
    assert services["setup"]["depends_on"]["kafka"]["condition"] == "service_healthy"
    assert services["setup"]["restart"] == "no"
    for name in ("processor", "worker", "traffic"):
        condition = services[name]["depends_on"]["setup"]["condition"]
        assert condition == "service_completed_successfully", name
    # every footfall client talks to the in-network listener
    for name in ("setup", "processor", "worker", "traffic"):
        assert environment(services[name])["FOOTFALL_BROKER"] == "kafka:9092"
    assert "PLAINTEXT://kafka:9092" in kafka["environment"]["KAFKA_ADVERTISED_LISTENERS"]


def test_setup_pushes_the_examples_pointing_at_the_webhook_sink(compose: dict[str, Any]) -> None:
    script = "\n".join(compose["services"]["setup"]["command"])
    for step in ("footfall topics ensure", "rules push", "profiles push", "providers push"):
        assert step in script
    examples = "".join(p.read_text() for p in (ROOT / "examples").rglob("*.yaml"))
    assert "http://127.0.0.1:8025" in examples
    assert "s#http://127.0.0.1:8025#http://webhook-sink:8025#g" in script
    sink = sinks_parser().parse_args(compose["services"]["webhook-sink"]["command"])
    assert sink.http_port == 8025
    assert environment(compose["services"]["worker"])["FOOTFALL_HTTP_ALLOWLIST"] == "webhook-sink"
    mail = sinks_parser().parse_args(compose["services"]["smtp-sink"]["command"])
    assert str(mail.smtp_port) == environment(compose["services"]["worker"])["FOOTFALL_SMTP_PORT"]


def test_every_footfall_command_line_parses(compose: dict[str, Any]) -> None:
    from footfall.cli.main import build_parser

    parser = build_parser()
    services = compose["services"]
    for name in ("processor", "worker", "traffic"):
        args = parser.parse_args(services[name]["command"])
        assert args.command == name
        assert callable(args.func)
    assert parser.parse_args(services["traffic"]["command"]).rate > 0
    lines = [
        line.split()[1:]
        for line in "\n".join(services["setup"]["command"]).splitlines()
        if line.strip().startswith("footfall ")
    ]
    assert [line[:2] for line in lines] == [
        ["topics", "ensure"],
        ["rules", "validate"],
        ["profiles", "push"],
        ["providers", "push"],
        ["rules", "push"],
    ]
    for line in lines:
        assert callable(parser.parse_args(line).func)


def test_dockerfile_builds_a_slim_non_root_footfall_image() -> None:
    text = (ROOT / "Dockerfile").read_text(encoding="utf-8")
    args = dict(re.findall(r"^ARG (\w+)=(\S+)", text, re.MULTILINE))
    froms = [
        re.sub(r"\$\{(\w+)\}", lambda m: args[m.group(1)], image)
        for image in re.findall(r"^FROM (\S+)", text, re.MULTILINE)
    ]
    # the image is slim, the build stages have gcc; both on the same Debian release
    assert froms == ["python:3.11-bookworm", "deps", "python:3.11-slim-bookworm"]
    # the wheel is built with the compiled core, from the module list in setup.py
    compile_step = r"^RUN FOOTFALL_COMPILE=1 pip wheel .*--no-build-isolation"
    assert re.search(compile_step, text, re.MULTILINE)
    assert re.search(r"^COPY .*\bsetup\.py\b", text, re.MULTILINE)
    text = text.replace("FOOTFALL_COMPILE=1", "")  # a build switch, not a setting
    user = re.findall(r"^USER (\S+)", text, re.MULTILINE)
    assert user and user[-1].split(":")[0] not in ("root", "0")
    assert re.search(r'^ENTRYPOINT \["footfall"\]', text, re.MULTILINE)
    assert f"EXPOSE {PROCESSOR_WEB_PORT} {WORKER_WEB_PORT}" in text
    for name in FOOTFALL_VAR.findall(text):
        assert name in Settings.variable_names()
    ignored = (ROOT / ".dockerignore").read_text(encoding="utf-8").split()
    assert ".git" in ignored and ".venv" in ignored


def dockerfile_steps() -> list[str]:
    """The Dockerfile's instructions, continuation lines joined."""
    text = (ROOT / "Dockerfile").read_text(encoding="utf-8")
    joined = re.sub(r"\\\n\s*", " ", text)
    return [line for line in joined.splitlines() if line and not line.startswith("#")]


def test_dependency_layers_survive_a_code_edit_and_no_wheel_stays_in_the_image() -> None:
    steps = dockerfile_steps()
    stages: dict[str, list[str]] = {}
    current = ""
    for step in steps:
        found = re.match(r"FROM \S+ AS (\w+)", step)
        if found:
            current = found.group(1)
        stages.setdefault(current, []).append(step)
    # the dependencies are resolved from pyproject.toml alone, before the sources come in
    deps = " ".join(stages["deps"])
    assert "COPY pyproject.toml ./" in deps
    assert "COPY src" not in deps and "setup.py" not in deps
    assert "COPY src ./src" in " ".join(stages["build"])
    image = stages["image"]
    copies = [s for s in image if s.startswith("COPY")]
    # no wheel copied into a layer: only its checksum, which keys the install layer
    assert [c for c in copies if "--from" in c] == [
        "COPY --from=build /footfall-wheel.sha256 /usr/local/share/footfall/wheel.sha256"
    ]
    checksum = image.index(next(c for c in copies if "--from" in c))
    assert "--mount=type=bind,from=build" in image[checksum + 1]
    installs = [s for s in image if "pip install" in s]
    assert len(installs) == 2
    assert "--mount=type=bind,from=deps" in installs[0]  # kept while pyproject.toml is
    assert "--mount=type=bind,from=build" in installs[1] and "--no-deps" in installs[1]
    assert all("--no-cache-dir" in s for s in installs)


def test_the_image_is_built_once(compose: dict[str, Any]) -> None:
    services = compose["services"]
    builders = [name for name, service in services.items() if "build" in service]
    assert builders == ["setup"]
    image = services["setup"]["image"]
    for name, service in services.items():
        if name == "kafka":
            continue
        assert service["image"] == image, name
        if name != "setup":
            assert service["pull_policy"] == "never", name
    # every service that starts before the setup has finished still waits for the build:
    # Compose builds every image before it creates any container


def test_stop_grace_periods_cover_the_measured_shutdowns(compose: dict[str, Any]) -> None:
    from footfall.durations import parse_duration
    from footfall.worker.service import DEFAULT_GRACE

    services = compose["services"]
    worker = parse_duration(services["worker"]["stop_grace_period"])
    assert worker >= DEFAULT_GRACE + 5  # Compose's default of 10 s cut in-flight commands
    assert parse_duration(services["processor"]["stop_grace_period"]) >= 10


def test_there_is_no_default_admin_token(compose: dict[str, Any]) -> None:
    text = COMPOSE.read_text(encoding="utf-8")
    for service in compose["services"].values():
        token = environment(service).get("FOOTFALL_ADMIN_TOKEN")
        if token is not None:
            assert token == "${FOOTFALL_ADMIN_TOKEN:-}"
    assert "change-me" not in text
    # an empty value is no token: the admin endpoints are refused
    assert Settings.from_env({"FOOTFALL_ADMIN_TOKEN": ""}).admin_token is None


def test_compose_runs_the_kafka_version_of_the_test_harness(compose: dict[str, Any]) -> None:
    from footfall.devkafka import KAFKA_VERSION

    assert compose["services"]["kafka"]["image"] == f"apache/kafka:{KAFKA_VERSION}"
    assert Settings().kafka_version == KAFKA_VERSION
