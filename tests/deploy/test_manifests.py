"""The Kubernetes manifests (deploy/k8s/): valid against Kubernetes 1.30, and the policy they promise.

kubernetes-validate checks each resource against the API's JSON schemas offline (strict: unknown
fields fail). Kustomize itself is not on PyPI: the files are validated one by one, and the built
kustomization too where kubectl (which embeds kustomize) is installed.
"""

from __future__ import annotations

import re
import shutil
import socket
import subprocess
from collections import Counter
from pathlib import Path
from typing import Any

import kubernetes_validate
import pytest
import yaml
from sqlalchemy.engine import make_url

from tests.support.services import service_missing

ROOT = Path(__file__).resolve().parents[2]
K8S = ROOT / "deploy" / "k8s"
KUBERNETES_VERSIONS = ("1.30.0", kubernetes_validate.latest_version())
KUSTOMIZATION = yaml.safe_load((K8S / "kustomization.yaml").read_text(encoding="utf-8"))
COMPONENTS = {"gateway", "rasa", "actions"}
SECRET_LIKE = re.compile(r"SECRET|TOKEN|PASSWORD|API_KEY|DATABASE_URL|AUTH|SID", re.IGNORECASE)


def load_resources(paths: list[Path]) -> list[dict[str, Any]]:
    return [doc for path in paths for doc in yaml.safe_load_all(path.read_text(encoding="utf-8")) if doc]


FILES = [K8S / name for name in KUSTOMIZATION["resources"]]
RESOURCES = load_resources(FILES)


def of_kind(kind: str) -> list[dict[str, Any]]:
    return [resource for resource in RESOURCES if resource["kind"] == kind]


def named(kind: str, name: str) -> dict[str, Any]:
    (found,) = [resource for resource in of_kind(kind) if resource["metadata"]["name"] == name]
    return found


def ident(resource: dict[str, Any]) -> str:
    return f"{resource['kind']}/{resource['metadata']['name']}"


def pod_labels(deployment: dict[str, Any]) -> dict[str, str]:
    labels: dict[str, str] = deployment["spec"]["template"]["metadata"]["labels"]
    return labels


def selects(selector: dict[str, Any], labels: dict[str, str]) -> bool:
    return all(labels.get(key) == value for key, value in selector.get("matchLabels", {}).items())


def test_the_kustomization_lists_every_manifest_and_nothing_missing() -> None:
    on_disk = {path.name for path in K8S.glob("*.yaml")} - {"kustomization.yaml"}
    assert set(KUSTOMIZATION["resources"]) == on_disk
    assert KUSTOMIZATION["namespace"] == "muni"
    names = Counter(ident(resource) for resource in RESOURCES)
    assert max(names.values()) == 1, names


@pytest.mark.parametrize("version", KUBERNETES_VERSIONS)
@pytest.mark.parametrize("resource", RESOURCES, ids=ident)
def test_every_resource_validates_against_the_kubernetes_schema(resource: dict[str, Any], version: str) -> None:
    kubernetes_validate.validate(resource, version, strict=True)


def test_the_schema_check_rejects_a_broken_resource() -> None:
    broken = yaml.safe_load(yaml.safe_dump(named("Deployment", "muni-gateway")))
    broken["spec"]["template"]["spec"]["containers"][0]["readinessProbe"]["httpGet"]["path"] = 5
    with pytest.raises(kubernetes_validate.ValidationError):
        kubernetes_validate.validate(broken, "1.30.0", strict=True)


def test_the_built_kustomization_validates_too() -> None:
    kubectl = shutil.which("kubectl")
    if kubectl is None:
        pytest.skip("kubectl (which embeds kustomize) is not on PATH: the files were validated one by one above")
    result = subprocess.run([kubectl, "kustomize", str(K8S)], capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    built = [doc for doc in yaml.safe_load_all(result.stdout) if doc]
    assert len(built) == len(RESOURCES)
    for resource in built:
        kubernetes_validate.validate(resource, "1.30.0", strict=True)
        if resource["kind"] != "Namespace":
            assert resource["metadata"]["namespace"] == "muni"
    images = {c["image"] for r in built if r["kind"] == "Deployment" for c in r["spec"]["template"]["spec"]["containers"]}
    assert all(image.startswith("registry.example.dk/muni/") for image in images), images


# The policy: probes, resources, autoscaling and disruption budgets for every part.


def deployments() -> dict[str, dict[str, Any]]:
    return {pod_labels(d)["app.kubernetes.io/component"]: d for d in of_kind("Deployment")}


def test_there_is_a_deployment_per_part_with_two_replicas_at_least() -> None:
    found = deployments()
    assert set(found) == COMPONENTS
    for deployment in found.values():
        assert deployment["spec"]["replicas"] >= 2
        assert selects(deployment["spec"]["selector"], pod_labels(deployment))


@pytest.mark.parametrize("component", sorted(COMPONENTS))
def test_every_container_has_both_probes_requests_limits_and_runs_locked_down(component: str) -> None:
    pod = deployments()[component]["spec"]["template"]["spec"]
    assert pod["securityContext"]["runAsNonRoot"] is True
    assert pod["automountServiceAccountToken"] is False
    for container in pod["containers"]:
        assert "readinessProbe" in container and "livenessProbe" in container
        for kind in ("requests", "limits"):
            assert set(container["resources"][kind]) >= {"cpu", "memory"}, kind
        security = container["securityContext"]
        assert security["allowPrivilegeEscalation"] is False
        assert security["readOnlyRootFilesystem"] is True
        assert security["capabilities"]["drop"] == ["ALL"]


def probe(component: str, kind: str) -> dict[str, Any]:
    result: dict[str, Any] = deployments()[component]["spec"]["template"]["spec"]["containers"][0][kind]
    return result


def test_the_probes_ask_the_right_endpoints() -> None:
    assert probe("gateway", "readinessProbe")["httpGet"]["path"] == "/readyz"
    assert probe("gateway", "livenessProbe")["httpGet"]["path"] == "/healthz"
    assert probe("actions", "readinessProbe")["httpGet"]["path"] == "/health"
    assert probe("actions", "livenessProbe")["httpGet"]["path"] == "/health"
    # Rasa's /status wants the token: readiness asks it through the image's entry point, which reads
    # the token from the environment, so it never appears here; "/" answers without one.
    assert probe("rasa", "readinessProbe")["exec"]["command"] == ["python", "deploy/rasa/serve.py", "ready"]
    assert probe("rasa", "livenessProbe")["httpGet"]["path"] == "/"


@pytest.mark.parametrize("component", sorted(COMPONENTS))
def test_every_part_has_a_service_an_autoscaler_and_a_disruption_budget(component: str) -> None:
    deployment = deployments()[component]
    name, labels = deployment["metadata"]["name"], pod_labels(deployment)
    container_ports = {p["name"] for c in deployment["spec"]["template"]["spec"]["containers"] for p in c["ports"]}
    service = named("Service", name)
    assert service["spec"]["selector"].items() <= labels.items()
    assert {port["targetPort"] for port in service["spec"]["ports"]} <= container_ports
    autoscaler = named("HorizontalPodAutoscaler", name)
    assert autoscaler["spec"]["scaleTargetRef"] == {"apiVersion": "apps/v1", "kind": "Deployment", "name": name}
    assert autoscaler["spec"]["minReplicas"] >= 2
    assert autoscaler["spec"]["maxReplicas"] > autoscaler["spec"]["minReplicas"]
    budget = named("PodDisruptionBudget", name)
    assert selects(budget["spec"]["selector"], labels)
    assert budget["spec"]["minAvailable"] < autoscaler["spec"]["minReplicas"], "a drain must be able to proceed"


# Exposure: the Ingress reaches the gateway only, and the network policies deny by default.


def test_only_the_gateways_service_is_exposed() -> None:
    for service in of_kind("Service"):
        assert service["spec"].get("type", "ClusterIP") == "ClusterIP", ident(service)
    (ingress,) = of_kind("Ingress")
    backends = {
        path["backend"]["service"]["name"]
        for rule in ingress["spec"]["rules"]
        for path in rule["http"]["paths"]
    }
    assert backends == {"muni-gateway"}
    assert "defaultBackend" not in ingress["spec"]
    assert all(entry.get("secretName") for entry in ingress["spec"]["tls"])


def policies_for(component: str) -> list[dict[str, Any]]:
    labels = pod_labels(deployments()[component])
    return [policy for policy in of_kind("NetworkPolicy") if selects(policy["spec"]["podSelector"], labels)]


def test_the_network_policies_deny_by_default() -> None:
    denying = [
        policy for policy in of_kind("NetworkPolicy")
        if policy["spec"]["podSelector"] == {} and set(policy["spec"]["policyTypes"]) == {"Ingress", "Egress"}
        and not policy["spec"].get("ingress") and not policy["spec"].get("egress")
    ]
    assert denying, "a policy selecting every pod, with no rule, for ingress and egress"
    for component in COMPONENTS:
        assert any("Ingress" in p["spec"]["policyTypes"] for p in policies_for(component))


def allowed_sources(component: str) -> list[dict[str, Any]]:
    return [
        source
        for policy in policies_for(component)
        for rule in policy["spec"].get("ingress", [])
        for source in rule.get("from", [{}])  # a rule without `from` admits everyone
    ]


def components_of(sources: list[dict[str, Any]]) -> set[str]:
    found = set()
    for source in sources:
        assert set(source) == {"podSelector"}, f"{source}: only pods of this namespace"
        found.add(source["podSelector"]["matchLabels"]["app.kubernetes.io/component"])
    return found


def test_only_the_gateway_is_reachable_from_outside_the_namespace() -> None:
    gateway = allowed_sources("gateway")
    assert gateway and all("namespaceSelector" in source for source in gateway), "the ingress controller, Prometheus"
    assert components_of(allowed_sources("rasa")) == {"gateway"}
    # Rasa calls the webhook; the gateway's /readyz reads the action server's /health.
    assert components_of(allowed_sources("actions")) == {"rasa", "gateway"}


# Secrets: referenced, never written down.


def env_of(component: str) -> list[dict[str, Any]]:
    return [e for c in deployments()[component]["spec"]["template"]["spec"]["containers"] for e in c.get("env", [])]


def test_no_secret_is_written_in_the_manifests() -> None:
    assert not of_kind("Secret"), "Secrets are created by the operator (docs/deployment.md), never committed"
    for component in COMPONENTS:
        for variable in env_of(component):
            if SECRET_LIKE.search(variable["name"]):
                assert "value" not in variable, variable["name"]
                assert "secretKeyRef" in variable["valueFrom"], variable["name"]
    for config in of_kind("ConfigMap"):
        for key in config["data"]:
            assert not SECRET_LIKE.search(key), f"{ident(config)}: {key}"
    endpoints = yaml.safe_load(named("ConfigMap", "muni-rasa-endpoints")["data"]["endpoints.yml"])
    for store in ("tracker_store", "lock_store"):
        assert re.fullmatch(r"\$\{\w+\}", endpoints[store]["password"]), store


def test_the_secrets_the_parts_need_come_by_reference() -> None:
    def references(component: str) -> dict[str, tuple[str, str]]:
        return {
            e["name"]: (e["valueFrom"]["secretKeyRef"]["name"], e["valueFrom"]["secretKeyRef"]["key"])
            for e in env_of(component) if "secretKeyRef" in e.get("valueFrom", {})
        }

    assert {"MUNI_SECRET_KEY", "MUNI_DATABASE_URL", "TWILIO_AUTH_TOKEN", "TWILIO_ACCOUNT_SID"} <= set(references("gateway"))
    assert {"MUNI_RASA_TOKEN", "MUNI_RASA_DB_PASSWORD", "MUNI_REDIS_PASSWORD"} <= set(references("rasa"))
    assert "MUNI_SECRET_KEY" not in references("rasa"), "Rasa gets its token, never the secret it is derived from"
    assert {"MUNI_SECRET_KEY"} <= set(references("actions"))


# Rasa's production endpoints: PostgreSQL tracker store, Redis lock store, every variable provided.


def rasa_endpoints() -> str:
    text: str = named("ConfigMap", "muni-rasa-endpoints")["data"]["endpoints.yml"]
    return text


def test_rasa_keeps_trackers_in_postgresql_and_locks_in_redis() -> None:
    endpoints = yaml.safe_load(rasa_endpoints())
    assert endpoints["tracker_store"]["type"] == "SQL" and endpoints["tracker_store"]["dialect"] == "postgresql"
    assert endpoints["lock_store"]["type"] == "redis"
    assert endpoints["action_endpoint"]["url"] == "${MUNI_ACTIONS_URL}/webhook"
    pod = deployments()["rasa"]["spec"]["template"]["spec"]
    (mount,) = [m for m in pod["containers"][0]["volumeMounts"] if m["name"] == "endpoints"]
    (variable,) = [e for e in pod["containers"][0]["env"] if e["name"] == "MUNI_RASA_ENDPOINTS"]
    assert variable["value"] == mount["mountPath"] + "/endpoints.yml"


def test_every_variable_rasas_endpoints_name_is_given_to_rasa() -> None:
    needed = set(re.findall(r"\$\{(\w+)\}", rasa_endpoints()))
    config = set(named("ConfigMap", "muni-config")["data"])
    assert needed <= config | {e["name"] for e in env_of("rasa")}, needed - config


def redis_answers(host: str, port: int) -> bool:
    try:
        with socket.create_connection((host, port), timeout=2):
            return True
    except OSError:
        return False


RASA_PYTHON = ROOT / ".venv-rasa" / "bin" / "python"


async def test_rasa_opens_and_uses_both_stores_on_real_servers(tmp_path: Path, postgres_url: str) -> None:
    if not RASA_PYTHON.exists():
        pytest.skip(f"no Rasa environment at {RASA_PYTHON} (make setup builds it)")
    if not redis_answers("127.0.0.1", 6379):
        service_missing("no Redis at 127.0.0.1:6379 (apt-get install redis-server, or start it)")
    database = make_url(postgres_url)
    endpoints = tmp_path / "endpoints.yml"
    endpoints.write_text(rasa_endpoints(), encoding="utf-8")
    environment = {
        "PATH": "/usr/bin:/bin",
        "TF_CPP_MIN_LOG_LEVEL": "2",
        "MUNI_ACTIONS_URL": "http://127.0.0.1:9",
        "MUNI_RASA_DB_HOST": database.host or "127.0.0.1",
        "MUNI_RASA_DB_PORT": str(database.port or 5432),
        "MUNI_RASA_DB_NAME": database.database or "",
        "MUNI_RASA_DB_USER": database.username or "",
        "MUNI_RASA_DB_PASSWORD": database.password or "",
        "MUNI_REDIS_HOST": "127.0.0.1",
        "MUNI_REDIS_PORT": "6379",
        "MUNI_REDIS_PASSWORD": "",
    }
    result = subprocess.run(
        [str(RASA_PYTHON), str(ROOT / "tests" / "deploy" / "rasa_stores.py"), str(endpoints)],
        env=environment, capture_output=True, text=True, timeout=180,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    assert result.stdout.split()[-3:] == ["SQLTrackerStore", "RedisLockStore", "1"]


def test_the_deployment_guide_names_every_secret_the_manifests_reference() -> None:
    guide = (ROOT / "docs" / "deployment.md").read_text(encoding="utf-8")
    for component in COMPONENTS:
        for variable in env_of(component):
            reference = variable.get("valueFrom", {}).get("secretKeyRef")
            if reference:
                assert f"`{reference['name']}`" in guide and reference["key"] in guide, reference
    for entry in named("Ingress", "muni")["spec"]["tls"]:
        assert f"`{entry['secretName']}`" in guide
