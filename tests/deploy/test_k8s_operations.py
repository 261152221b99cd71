"""deploy/: what operators expect of the rendered manifests (kustomize's real output).

The worker's replica count belongs to KEDA, disruption budgets let drains proceed, pods
run under the restricted Pod Security Standard, processors spread over nodes and zones,
only the web ports are open, grace periods cover the measured shutdowns, settings
changes roll the pods, the setup Job runs footfall commands that parse, and the
Prometheus rules and Grafana dashboard use metrics footfall exports.
"""

from __future__ import annotations

import json
import re
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml
from test_k8s import (
    MONITORING,
    OVERLAY,
    ROOT,
    build,
    containers,
    deploy_copy_with_secrets,
    init_containers,
    kubectl,
    load_all,
    without_hash,
)

from footfall.cli.main import build_parser
from footfall.profiles import load_profiles, load_providers
from footfall.rules import compile_rules, load_rule_files
from footfall.worker.service import DEFAULT_GRACE

WORKLOADS = ("StatefulSet", "Deployment", "Job")
#: metrics of other exporters the alerts and the dashboard use
EXTERNAL_METRICS = {"kafka_consumergroup_lag", "up", "container_memory_working_set_bytes"}


@pytest.fixture(scope="module")
def overlay(tmp_path_factory: pytest.TempPathFactory) -> list[dict[str, Any]]:
    copy_root = deploy_copy_with_secrets(tmp_path_factory.mktemp("deploy"))
    return build(copy_root / "overlays" / "example")


def one(docs: list[dict[str, Any]], kind: str, name: str) -> dict[str, Any]:
    (found,) = [d for d in docs if without_hash(d) == (kind, name)]
    return found


def pod_spec(doc: dict[str, Any]) -> dict[str, Any]:
    spec: dict[str, Any] = doc["spec"]["template"]["spec"]
    return spec


def test_keda_alone_sets_the_worker_replicas(overlay: list[dict[str, Any]]) -> None:
    scaled = one(overlay, "ScaledObject", "footfall-worker")
    target = one(overlay, "Deployment", scaled["spec"]["scaleTargetRef"]["name"])
    assert "replicas" not in target["spec"]


def test_disruption_budgets_let_a_drain_proceed(overlay: list[dict[str, Any]]) -> None:
    scaled = one(overlay, "ScaledObject", "footfall-worker")
    for name in ("footfall-worker", "footfall-processor"):
        budget = one(overlay, "PodDisruptionBudget", name)
        assert "minAvailable" not in budget["spec"], name
        assert budget["spec"]["maxUnavailable"] >= 1, name
    assert scaled["spec"]["minReplicaCount"] >= 1


@pytest.mark.parametrize("kind", WORKLOADS)
def test_pods_meet_the_restricted_pod_security_standard(
    overlay: list[dict[str, Any]], kind: str
) -> None:
    (doc,) = [d for d in overlay if d["kind"] == kind]
    spec = pod_spec(doc)
    pod = spec["securityContext"]
    assert pod["runAsNonRoot"] is True
    assert pod["runAsUser"] != 0
    assert pod["seccompProfile"] == {"type": "RuntimeDefault"}
    assert spec["automountServiceAccountToken"] is False
    for container in containers(doc) + init_containers(doc):
        context = container["securityContext"]
        assert context["allowPrivilegeEscalation"] is False, container["name"]
        assert context["capabilities"] == {"drop": ["ALL"]}, container["name"]
        assert context["readOnlyRootFilesystem"] is True, container["name"]
        assert "memory" in container["resources"]["limits"], container["name"]
        # everything footfall writes is on a volume: state, logs, /tmp
        mounts = {m["mountPath"] for m in container.get("volumeMounts", [])}
        assert "/tmp" in mounts, container["name"]
    assert not spec.get("hostNetwork") and not spec.get("hostPID")


def test_processors_spread_over_nodes_and_zones(overlay: list[dict[str, Any]]) -> None:
    processor = one(overlay, "StatefulSet", "footfall-processor")
    spread = pod_spec(processor)["topologySpreadConstraints"]
    keys = {c["topologyKey"] for c in spread}
    assert keys == {"kubernetes.io/hostname", "topology.kubernetes.io/zone"}
    labels = processor["spec"]["template"]["metadata"]["labels"]
    for constraint in spread:
        selector = constraint["labelSelector"]["matchLabels"]
        assert all(labels.get(k) == v for k, v in selector.items())
        assert constraint["maxSkew"] == 1


def test_network_policies_open_only_the_web_ports(overlay: list[dict[str, Any]]) -> None:
    for kind, name in (("StatefulSet", "footfall-processor"), ("Deployment", "footfall-worker")):
        workload = one(overlay, kind, name)
        labels = workload["spec"]["template"]["metadata"]["labels"]
        ports = {p["containerPort"] for p in containers(workload)[0]["ports"]}
        policy = one(overlay, "NetworkPolicy", name)
        selector = policy["spec"]["podSelector"]["matchLabels"]
        assert all(labels.get(k) == v for k, v in selector.items())
        assert policy["spec"]["policyTypes"] == ["Ingress"]
        opened = {p["port"] for rule in policy["spec"]["ingress"] for p in rule["ports"]}
        assert opened == ports


def test_grace_periods_cover_the_shutdowns(overlay: list[dict[str, Any]]) -> None:
    worker = pod_spec(one(overlay, "Deployment", "footfall-worker"))
    # in-flight commands get DEFAULT_GRACE after SIGTERM; closing took up to 3 s
    assert worker["terminationGracePeriodSeconds"] >= DEFAULT_GRACE + 5
    (container,) = worker["containers"]
    assert "--grace" not in container["args"]
    processor = pod_spec(one(overlay, "StatefulSet", "footfall-processor"))
    assert processor["terminationGracePeriodSeconds"] >= 10


def test_a_changed_setting_rolls_the_pods(overlay: list[dict[str, Any]]) -> None:
    settings = one(overlay, "ConfigMap", "footfall-settings")
    secrets = one(overlay, "Secret", "footfall-secrets")
    # generated names carry a hash of the content, and the workloads use those names
    assert re.fullmatch(r"footfall-settings-[a-z0-9]{10}", settings["metadata"]["name"])
    for kind in WORKLOADS:
        (doc,) = [d for d in overlay if d["kind"] == kind]
        for container in containers(doc) + init_containers(doc):
            refs = [s["configMapRef"]["name"] for s in container["envFrom"] if "configMapRef" in s]
            assert refs == [settings["metadata"]["name"]], container["name"]
            for item in container.get("env", []):
                ref = item.get("valueFrom", {}).get("secretKeyRef")
                if ref:
                    assert ref["name"] == secrets["metadata"]["name"]
    auth = one(overlay, "TriggerAuthentication", "footfall-kafka")
    keda = one(overlay, "Secret", "footfall-keda-kafka")["metadata"]["name"]
    assert {ref["name"] for ref in auth["spec"]["secretTargetRef"]} == {keda}


def test_without_the_secret_files_nothing_is_built(tmp_path: Path) -> None:
    copy_root = deploy_copy_with_secrets(tmp_path)
    (copy_root / "overlays" / "example" / "secrets" / "footfall-secrets.env").unlink()
    result = subprocess.run(
        [kubectl(), "kustomize", str(copy_root / "overlays" / "example")],
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )
    assert result.returncode != 0
    assert "secrets/footfall-secrets.env" in result.stderr


def test_the_setup_job_ensures_topics_then_pushes_the_definitions(
    overlay: list[dict[str, Any]],
) -> None:
    job = one(overlay, "Job", "footfall-setup")
    steps = init_containers(job) + containers(job)
    parser = build_parser()
    commands = [container["args"] for container in steps]
    assert [c[:2] for c in commands] == [
        ["topics", "ensure"],
        ["profiles", "push"],
        ["providers", "push"],
        ["rules", "push"],
    ]
    for args in commands:
        assert callable(parser.parse_args(args).func)
    definitions = one(overlay, "ConfigMap", "footfall-definitions")
    volumes = {v["name"]: v for v in pod_spec(job)["volumes"]}
    for container in steps:
        for path in container["args"][2:]:
            mount = next(
                m for m in container["volumeMounts"] if path.startswith(m["mountPath"] + "/")
            )
            source = volumes[mount["name"]]["configMap"]["name"]
            assert source == definitions["metadata"]["name"]
            assert path.removeprefix(mount["mountPath"] + "/") in definitions["data"]
    # what the Job pushes is valid
    folder = OVERLAY / "definitions"
    assert len(compile_rules(load_rule_files([folder / "rules.yaml"])).rules) == 2
    assert [p.id for p in load_profiles([folder / "profiles.yaml"])] == ["admin"]
    (provider,) = load_providers([folder / "providers.yaml"])
    assert provider.secret_env in (OVERLAY / "secrets" / "provider-secrets.env.example").read_text()


def exported_families() -> set[str]:
    """The metric names footfall's services register (prometheus_client adds suffixes)."""
    names: set[str] = set()
    for path in (ROOT / "src" / "footfall").rglob("*.py"):
        names |= set(re.findall(r'"(footfall_[a-z_]+)"', path.read_text(encoding="utf-8")))
    return names


def exported_metrics() -> set[str]:
    names = exported_families()
    series = set(names)
    for name in names:
        series |= {f"{name}_total", f"{name}_bucket", f"{name}_sum", f"{name}_count"}
    return series


def metrics_in(expr: str) -> set[str]:
    """The metric names of a PromQL expression (identifiers followed by { [ or a space,
    leaving out functions, aggregations and label names)."""
    keywords = {"sum", "max", "min", "rate", "increase", "by", "histogram_quantile", "clamp_min"}
    without_labels = re.sub(r"\{[^}]*\}", "{}", expr)
    without_grouping = re.sub(r"\bby \([^)]*\)", "", without_labels)
    found = set(re.findall(r"\b([a-z_][a-z0-9_]*)\b\s*[\[{]", without_grouping))
    found |= set(re.findall(r"\b([a-z_][a-z0-9_]*)\)", without_grouping))
    return found - keywords


def test_alerts_cover_what_needs_a_person_with_metrics_footfall_exports() -> None:
    (rules,) = load_all(MONITORING / "prometheus-rules.yaml")
    alerts = {r["alert"]: r for group in rules["spec"]["groups"] for r in group["rules"]}
    known = exported_metrics() | EXTERNAL_METRICS
    used: set[str] = set()
    for name, alert in alerts.items():
        names = metrics_in(alert["expr"])
        assert names, name
        assert names <= known, f"{name}: {sorted(names - known)}"
        used |= names
        assert alert["labels"]["severity"] in ("warning", "critical")
        assert alert["annotations"]["summary"]
    for needed in (
        "kafka_consumergroup_lag",  # consumer lag
        "footfall_processor_dead_letters_total",  # dead-letter rate
        "footfall_worker_commands_dead_lettered_total",
        "footfall_processor_tick_lag_seconds",  # tick lag
        "footfall_processor_publish_retries_total",  # publish retries
        "footfall_worker_command_failures_total",  # worker failures
    ):
        assert needed in used, needed
    assert metrics_in('sum(rate(x_total{a="b"}[5m])) / max by (pod) (y)') == {"x_total", "y"}


def test_the_grafana_dashboard_is_valid_and_uses_exported_metrics(
    overlay: list[dict[str, Any]],
) -> None:
    text = (MONITORING / "footfall-dashboard.json").read_text(encoding="utf-8")
    dashboard = json.loads(text)
    assert dashboard["uid"] == "footfall"
    panels = dashboard["panels"]
    assert len({p["id"] for p in panels}) == len(panels)
    known = exported_metrics() | EXTERNAL_METRICS
    shown: set[str] = set()
    for panel in panels:
        assert panel["datasource"]["uid"] == "${datasource}"
        assert panel["targets"], panel["title"]
        for target in panel["targets"]:
            names = metrics_in(target["expr"])
            assert names and names <= known, (panel["title"], sorted(names - known))
            shown |= names
    variables = {v["name"] for v in dashboard["templating"]["list"]}
    assert "datasource" in variables
    # every metric footfall exports is on the dashboard
    families = {re.sub(r"_(total|bucket|sum|count)$", "", m) for m in shown}
    assert sorted(exported_families() - families) == []
    config = one(overlay, "ConfigMap", "footfall-grafana-dashboard")
    assert config["metadata"]["labels"]["grafana_dashboard"] == "1"
    assert json.loads(config["data"]["footfall-dashboard.json"]) == dashboard


def test_pod_monitors_scrape_the_web_ports(overlay: list[dict[str, Any]]) -> None:
    for kind, name in (("StatefulSet", "footfall-processor"), ("Deployment", "footfall-worker")):
        labels = one(overlay, kind, name)["spec"]["template"]["metadata"]["labels"]
        monitor = one(overlay, "PodMonitor", name)
        selector = monitor["spec"]["selector"]["matchLabels"]
        assert all(labels.get(k) == v for k, v in selector.items())
        (endpoint,) = monitor["spec"]["podMetricsEndpoints"]
        assert (endpoint["port"], endpoint["path"]) == ("web", "/metrics")
    assert yaml.safe_load((MONITORING / "kustomization.yaml").read_text())["kind"] == "Component"


def test_linter_findings_left_on_purpose_say_why(overlay: list[dict[str, Any]]) -> None:
    # checkov's Kubernetes checks pass on the rendered overlay but for these skips
    # (docs/development.md has the command); each one names its check and its reason
    for kind in WORKLOADS:
        (doc,) = [d for d in overlay if d["kind"] == kind]
        annotations = doc["metadata"]["annotations"]
        skips = {k: v for k, v in annotations.items() if k.startswith("checkov.io/skip")}
        checks = set()
        for value in skips.values():
            check, _, reason = value.partition("=")
            assert re.fullmatch(r"CKV2?_K8S_\d+", check), value
            assert len(reason.split()) >= 5, value
            checks.add(check)
        assert checks == {"CKV_K8S_11", "CKV_K8S_35", "CKV_K8S_43", "CKV_K8S_15"}, kind
    pods = {("Job", "footfall-setup"), ("StatefulSet", "footfall-processor")}
    pods.add(("Deployment", "footfall-worker"))
    for kind, name in pods:
        labels = one(overlay, kind, name)["spec"]["template"]["metadata"]["labels"]
        policy = one(overlay, "NetworkPolicy", name)
        selector = policy["spec"]["podSelector"]["matchLabels"]
        assert all(labels.get(k) == v for k, v in selector.items()), name
