"""The deployment descriptions, checked offline: they parse, and every setting they pass is one
the code reads (a typo in an environment variable would otherwise be silently ignored)."""

import json
import os
import subprocess
from pathlib import Path

import pytest
import yaml

from deploy.topology import BROKER, NATS_USERS
from gateway.config import GatewaySettings
from services.jobs.config import JobsSettings
from services.products.config import ProductsSettings
from services.subsidies.config import SubsidiesSettings
from shared.events.permissions import nats_authorization, password_variable
from shared.settings import CommonSettings
from tests.support.infra import nats_server_binary

DEPLOY = Path(__file__).resolve().parents[2] / "deploy"


def known_variables() -> set[str]:
    names = {f"EW_{name.upper()}" for name in CommonSettings.model_fields}
    for cls, prefix in (
        (JobsSettings, "JOBS"),
        (ProductsSettings, "PRODUCTS"),
        (SubsidiesSettings, "SUBSIDIES"),
        (GatewaySettings, "GATEWAY"),
    ):
        for name, field in cls.model_fields.items():
            alias = field.validation_alias
            choices = getattr(alias, "choices", [alias] if alias else [])
            names |= {c for c in choices if isinstance(c, str) and c.isupper()}
            names.add(f"{prefix}_{name.upper()}")
    return names


def documents():
    for path in sorted(DEPLOY.rglob("*.yaml")):
        for doc in yaml.safe_load_all(path.read_text()):
            if doc:
                yield path.name, doc


def env_names(node):
    if isinstance(node, dict):
        for key, value in node.items():
            if key == "environment" and isinstance(value, dict):
                yield from value
            elif key == "env" and isinstance(value, list):
                yield from (item["name"] for item in value)
            elif (
                key == "data"
                and isinstance(value, dict)
                and any(k.startswith("EW_") for k in value)
            ):
                yield from value
            yield from env_names(value)
    elif isinstance(node, list):
        for item in node:
            yield from env_names(item)


@pytest.mark.parametrize(
    ("name", "doc"), list(documents()), ids=lambda v: v if isinstance(v, str) else ""
)
def test_every_variable_is_read_by_the_code(name, doc):
    unknown = {
        n
        for n in env_names(doc)
        if n.startswith(("EW_", "JOBS_", "PRODUCTS_", "SUBSIDIES_", "GATEWAY_"))
    } - known_variables()
    assert unknown == set(), f"{name} sets variables no settings class reads: {unknown}"


def test_every_deployment_probes_readiness():
    deployments = [d for _, d in documents() if d.get("kind") == "Deployment"]
    assert {d["metadata"]["name"] for d in deployments} == {
        "gateway",
        "jobs",
        "products",
        "subsidies",
    }
    for d in deployments:
        container = d["spec"]["template"]["spec"]["containers"][0]
        assert container["readinessProbe"]["httpGet"]["path"] == "/readyz"


def test_streams_are_replicated_in_production():
    configs = [
        d for _, d in documents() if d.get("kind") == "ConfigMap" and "EW_ENV" in d.get("data", {})
    ]
    assert configs and all(c["data"]["EW_STREAM_REPLICAS"] == "3" for c in configs)
    nats = next(d for _, d in documents() if d.get("kind") == "StatefulSet")
    assert nats["spec"]["replicas"] == 3


def _gateway_commands():
    for name, doc in documents():
        for node in _walk(doc):
            command = node.get("command") if isinstance(node, dict) else None
            if isinstance(command, list) and "gateway.app:app" in command:
                yield name, command
    containerfile = (DEPLOY / "Containerfile").read_text()
    cmd = next(line for line in containerfile.splitlines() if line.startswith("CMD "))
    yield "Containerfile", json.loads(cmd.removeprefix("CMD "))


def _walk(node):
    yield node
    children = node.values() if isinstance(node, dict) else node if isinstance(node, list) else ()
    for child in children:
        yield from _walk(child)


def test_the_gateway_never_takes_its_client_address_from_headers():
    # uvicorn believes X-Forwarded-For from 127.0.0.1 by default (and a sidecar or a node-local
    # hop is exactly that): a client could then pick its own address and escape the gateway's
    # failed-credential budget. The gateway trusts proxies itself (GATEWAY_TRUSTED_PROXIES).
    commands = list(_gateway_commands())
    assert {name for name, _ in commands} == {"compose.yaml", "gateway.yaml", "Containerfile"}
    for name, command in commands:
        assert command[0] == "uvicorn", name
        assert "--no-proxy-headers" in command, f"{name}: {command}"


# ---------------------------------------------------------------- NATS users and permissions


def _without_comments(text: str) -> str:
    return "".join(line + "\n" for line in text.splitlines() if not line.startswith("#"))


class TestNatsAuthorization:
    """Compose and Kubernetes grant exactly the permissions shared/events/permissions.py
    generates (the same function the embedded run and the tests use), take every password from a
    secret, and give each process its own user."""

    def test_compose_servers_use_the_generated_authorization(self):
        assert _without_comments((DEPLOY / "nats-auth.conf").read_text()) == nats_authorization(
            BROKER
        )
        compose = yaml.safe_load((DEPLOY / "compose.yaml").read_text())
        servers = {n: s for n, s in compose["services"].items() if n.startswith("nats-")}
        assert len(servers) == 3
        for name, server in servers.items():
            assert server["command"][:2] == ["-c", "/etc/nats/auth.conf"], name
            assert "./nats-auth.conf:/etc/nats/auth.conf:ro" in server["volumes"], name
            assert set(server["environment"]) == {password_variable(u) for u in NATS_USERS}
            assert all(v.startswith("${") for v in server["environment"].values())

    def test_compose_processes_connect_as_their_own_user(self):
        compose = yaml.safe_load((DEPLOY / "compose.yaml").read_text())
        for name in ("jobs", "products", "subsidies", "gateway"):
            env = compose["services"][name]["environment"]
            assert env["EW_NATS_USER"] == name
            assert env["EW_NATS_PASSWORD"] == f"${{{password_variable(name)}}}"

    def test_kubernetes_servers_use_the_generated_authorization(self):
        config = next(
            d for _, d in documents() if d.get("metadata", {}).get("name") == "nats-config"
        )
        assert config["data"]["auth.conf"] == nats_authorization(BROKER)
        assert "include ./auth.conf" in config["data"]["nats.conf"]
        nats = next(d for _, d in documents() if d.get("kind") == "StatefulSet")
        env = {e["name"]: e for e in nats["spec"]["template"]["spec"]["containers"][0]["env"]}
        for user in NATS_USERS:
            ref = env[password_variable(user)]["valueFrom"]["secretKeyRef"]
            assert ref == {"name": "nats-users", "key": user}

    def test_kubernetes_processes_connect_as_their_own_user(self):
        for _, d in documents():
            if d.get("kind") != "Deployment":
                continue
            name = d["metadata"]["name"]
            env = {e["name"]: e for e in d["spec"]["template"]["spec"]["containers"][0]["env"]}
            assert env["EW_NATS_USER"]["value"] == name
            ref = env["EW_NATS_PASSWORD"]["valueFrom"]["secretKeyRef"]
            assert ref == {"name": "nats-users", "key": name}

    def test_nats_server_accepts_the_configurations_only_with_every_password(self, tmp_path):
        config = next(
            d for _, d in documents() if d.get("metadata", {}).get("name") == "nats-config"
        )
        for name, text in config["data"].items():
            (tmp_path / name).write_text(text)
        passwords = {password_variable(u): f"secret-{u}" for u in NATS_USERS}
        for conf in (tmp_path / "nats.conf", DEPLOY / "nats-auth.conf"):
            env = {"PATH": os.environ.get("PATH", ""), "POD_NAME": "nats-0"}
            check = [nats_server_binary(), "-t", "-c", str(conf)]
            ok = subprocess.run(check, env=env | passwords, capture_output=True, text=True)
            assert ok.returncode == 0, ok.stderr
            missing = subprocess.run(check, env=env, capture_output=True, text=True)
            assert missing.returncode != 0
            assert "NATS_JOBS_PASSWORD" in missing.stderr + missing.stdout
