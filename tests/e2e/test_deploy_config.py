"""The deployment descriptions, checked offline as the real tools would check them (deploy/check.py:
hadolint, the Docker Compose binary, kubectl kustomize, kubernetes-validate with the CRDs' schemas,
nats-server -t), and for what they must mean: every setting they pass is one the code reads (a
typo in an environment variable would otherwise be silently ignored), probes, secrets, network
policies, migrations, NATS users and the databases' backups."""

import copy
import ipaddress
import json
import os
import re
import shutil
import subprocess
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

import pytest
import yaml

from deploy import check
from deploy.nats_auth import auth_conf
from deploy.topology import BROKER, KEEP_ALIVE_SECONDS, NATS_USERS, PROCESSES, SERVICES
from gateway.config import GatewaySettings
from gateway.console.config import ConsoleSettings
from gateway.proxy import UPSTREAM_IDLE_SECONDS
from services.jobs.config import JobsSettings
from services.products.config import ProductsSettings
from services.subsidies.config import SubsidiesSettings
from shared.events.permissions import nats_authorization, password_variable
from shared.settings import CommonSettings

DEPLOY = check.DEPLOY
OVERLAYS = check.OVERLAYS
PROCESS_NAMES = tuple(PROCESSES)  # jobs, products, subsidies, gateway


def known_variables() -> set[str]:
    names = {f"EW_{name.upper()}" for name in CommonSettings.model_fields}
    names |= {f"GATEWAY_CONSOLE_{name.upper()}" for name in ConsoleSettings.model_fields}
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


def source_documents() -> Iterator[tuple[str, Any]]:
    for path in sorted(DEPLOY.rglob("*.yaml")):
        for doc in yaml.safe_load_all(path.read_text()):
            if doc:
                yield str(path.relative_to(DEPLOY)), doc


def rendered(overlay: str) -> list[dict[str, Any]]:
    return [copy.deepcopy(d) for d in check.render(overlay)]


def compose() -> dict[str, Any]:
    """The compose file as the Docker Compose binary resolves it (anchors, merges, defaults)."""
    return yaml.safe_load(check.compose_config(quiet=False))


def of_kind(docs: list[dict[str, Any]], kind: str) -> dict[str, dict[str, Any]]:
    return {d["metadata"]["name"]: d for d in docs if d["kind"] == kind}


def pod_spec(obj: Mapping[str, Any]) -> dict[str, Any]:
    spec = obj["spec"]["template"]["spec"]
    assert isinstance(spec, dict)
    return spec


def container_env(container: Mapping[str, Any]) -> dict[str, dict[str, Any]]:
    return {e["name"]: e for e in container.get("env", [])}


def env_names(node: Any) -> Iterator[str]:
    if isinstance(node, dict):
        for key, value in node.items():
            if key == "environment" and isinstance(value, dict):
                yield from (k for k in value if k != "<<")
            elif key == "env" and isinstance(value, list):
                yield from (item["name"] for item in value if isinstance(item, dict))
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


def _walk(node: Any) -> Iterator[Any]:
    yield node
    children = node.values() if isinstance(node, dict) else node if isinstance(node, list) else ()
    for child in children:
        yield from _walk(child)


# ------------------------------------------------------------------------ the real tools


class TestTools:
    """Each check of `python -m deploy.check` (`make deploy-check`) passes, and fails on what it
    is there to catch."""

    def test_the_image_definition_passes_hadolint(self):
        assert check.hadolint() == []

    def test_hadolint_catches_a_bad_instruction(self, tmp_path, monkeypatch):
        bad = tmp_path / "Containerfile"
        bad.write_text("FROM python:latest\nRUN apt-get install curl\n")
        monkeypatch.setattr(check, "CONTAINERFILE", bad)
        problems = "\n".join(check.hadolint())
        assert "DL3007" in problems  # the latest tag
        assert "DL3008" in problems  # unpinned apt package

    def test_compose_accepts_the_file_with_every_secret(self):
        assert check.compose_problems() == []

    def test_compose_refuses_to_start_without_a_secret(self):
        for name in ("EW_IDENTITY_SECRET", "NATS_OPS_PASSWORD", "SERVICE_DB_PASSWORD"):
            env = {k: v for k, v in check.COMPOSE_EXAMPLE_ENV.items() if k != name}
            with pytest.raises(check.subprocess.CalledProcessError) as refused:
                check.compose_config(env)
            assert name in refused.value.stderr

    @pytest.mark.parametrize("overlay", OVERLAYS)
    def test_every_kubernetes_object_validates_strictly(self, overlay):
        assert check.kubernetes_problems(overlay) == []

    def test_validation_is_strict_for_kubernetes_and_custom_kinds(self):
        docs = rendered("prod")
        for kind in ("Deployment", "NetworkPolicy", "Cluster", "HTTPRoute", "ObjectStore"):
            obj = next(d for d in docs if d["kind"] == kind)
            obj["spec"]["replicaz"] = 2
            assert any("replicaz" in p for p in check.validate_object(obj)), kind
        cluster = next(d for d in docs if d["kind"] == "Cluster")
        cluster["spec"]["instances"] = "three"
        assert check.validate_object(cluster)
        unknown = {"apiVersion": "example.org/v1", "kind": "Thing", "metadata": {"name": "x"}}
        assert check.validate_object(unknown)  # a kind without a schema is never waved through

    def test_every_custom_resource_used_has_a_shipped_schema(self):
        kinds = {(d["apiVersion"], d["kind"]) for o in OVERLAYS for d in check.render(o)}
        custom = {(a, k) for a, k in kinds if "." in a.partition("/")[0] and "k8s.io" not in a}
        custom |= {(a, k) for a, k in kinds if a.startswith("gateway.networking.k8s.io/")}
        assert custom >= {
            ("postgresql.cnpg.io/v1", "Cluster"),
            ("gateway.networking.k8s.io/v1", "HTTPRoute"),
        }
        for api_version, kind in custom:
            assert check._schema_file(api_version, kind).exists(), (api_version, kind)

    def test_nats_server_accepts_the_configurations_only_with_every_password(self):
        assert check.nats_problems() == []
        for conf in check.NATS_CONFIGS:
            missing = check.nats_check(conf, {"POD_NAME": "nats-0", "NATS_SERVER_NAME": "nats-1"})
            assert missing.returncode != 0, conf
            assert "NATS_JOBS_PASSWORD" in missing.stderr + missing.stdout


# ------------------------------------------------------------------- settings the code reads


def _documents_to_check() -> Iterator[tuple[str, Any]]:
    yield from source_documents()
    for overlay in OVERLAYS:
        for doc in check.render(overlay):
            yield f"{overlay}: {doc['kind']}/{doc['metadata']['name']}", doc


@pytest.mark.parametrize(
    ("name", "doc"), list(_documents_to_check()), ids=lambda v: v if isinstance(v, str) else ""
)
def test_every_variable_is_read_by_the_code(name, doc):
    unknown = {
        n
        for n in env_names(doc)
        if n.startswith(("EW_", "JOBS_", "PRODUCTS_", "SUBSIDIES_", "GATEWAY_"))
    } - known_variables()
    assert unknown == set(), f"{name} sets variables no settings class reads: {unknown}"


def test_compose_sets_only_variables_the_code_reads():
    for name, service in compose()["services"].items():
        unknown = {
            n
            for n in service.get("environment", {})
            if n.startswith(("EW_", "JOBS_", "PRODUCTS_", "SUBSIDIES_", "GATEWAY_"))
        } - known_variables()
        assert unknown == set(), f"{name}: {unknown}"


# ----------------------------------------------------------------------------- the image


def containerfile_instructions(stage: str | None = None) -> list[str]:
    """The Containerfile's instructions, continuation lines joined; of the last stage, or of the
    stage named ``stage``."""
    text = re.sub(r"\\\n\s*", " ", (DEPLOY / "Containerfile").read_text())
    stages: list[list[str]] = []
    for line in text.splitlines():
        if line.startswith("FROM "):
            stages.append([])
        if line and not line.startswith("#") and stages:
            stages[-1].append(line)
    if stage is None:
        return stages[-1]
    return next(s for s in stages if s[0].endswith(f" AS {stage}"))


def copied_paths() -> list[str]:
    """What the final image copies from the build context (not from another stage)."""
    return [
        part
        for line in containerfile_instructions()
        if line.startswith("COPY ") and "--from" not in line
        for part in line.split()[1:-1]
    ]


def modules_the_deployments_run() -> set[str]:
    modules = set()
    for node in _walk([*check.render("prod"), compose()]):
        command = node.get("command") if isinstance(node, dict) else None
        if isinstance(command, list) and command[:2] == ["python", "-m"]:
            modules.add(command[2])
        elif isinstance(command, list) and command[:1] == ["uvicorn"]:
            modules.add(command[1].split(":")[0])
    return modules


class TestImage:
    def test_runs_as_a_numeric_non_root_user_with_a_health_check(self):
        final = containerfile_instructions()
        user = [line.split()[1] for line in final if line.startswith("USER ")]
        assert user and user[-1].split(":")[0].isdigit() and user[-1].split(":")[0] != "0"
        assert any(line.startswith("HEALTHCHECK ") and "/readyz" in line for line in final)

    def test_sets_only_variables_the_code_reads(self):
        names = {
            name
            for line in containerfile_instructions()
            if line.startswith("ENV ")
            for name in re.findall(r"(\w+)=", line)
        }
        assert {"EW_ENV", "EW_DATA_DIR"} <= names
        ours = {n for n in names if n.startswith(("EW_", "GATEWAY_", "JOBS_", "SUBSIDIES_"))}
        assert ours <= known_variables()

    def test_installs_no_dev_dependency(self):
        sync = [line for line in containerfile_instructions("python-deps") if "uv sync" in line]
        assert sync and all("--no-dev" in line and "--frozen" in line for line in sync)

    def test_holds_every_module_the_deployments_run(self):
        copied = [p.rstrip("/") for p in copied_paths()]
        modules = modules_the_deployments_run()
        assert {"deploy.migrate", "services.jobs.app", "gateway.app"} <= modules
        for module in modules:
            path = module.replace(".", "/") + ".py"
            assert any(path == c or path.startswith(c + "/") for c in copied), (module, copied)

    def test_its_layout_runs_every_command_without_dev_dependencies(self, tmp_path):
        # What the image's stages do, without a container engine: the locked dependencies
        # without the dev group (offline, from uv's cache), the copied files only, and every
        # module the deployments run imported there. A runtime import of a dev-only package
        # (pytest, hypothesis…) or a file the image lacks fails here, not in production.
        root = DEPLOY.parent
        uv = root / ".uv" / "bin" / "uv"
        venv, app = tmp_path / "venv", tmp_path / "app"
        env = {
            "PATH": os.environ.get("PATH", ""),
            "HOME": os.environ.get("HOME", str(tmp_path)),
            "UV_PROJECT_ENVIRONMENT": str(venv),
            "UV_OFFLINE": "1",
            "UV_LINK_MODE": "symlink",  # read only: no copy of the cache needed
        }
        for name in ("UV_CACHE_DIR", "XDG_CACHE_HOME"):
            if name in os.environ:
                env[name] = os.environ[name]
        sync = [str(uv), "sync", "--frozen", "--no-dev", "--no-install-project", "--quiet"]
        done = subprocess.run(sync, cwd=root, env=env, capture_output=True, text=True)
        assert done.returncode == 0, done.stderr
        for path in copied_paths():
            source, target = root / path, app / path
            target.parent.mkdir(parents=True, exist_ok=True)
            if source.is_dir():
                shutil.copytree(source, target, ignore=shutil.ignore_patterns("node_modules"))
            else:
                shutil.copy(source, target)
        modules = sorted(modules_the_deployments_run())
        script = (
            "import importlib, sys\n"
            f"for m in {modules!r}: importlib.import_module(m)\n"
            "for dev in ('pytest', 'hypothesis', 'mypy', 'playwright', 'kubernetes_validate'):\n"
            "    try:\n"
            "        importlib.import_module(dev)\n"
            "    except ImportError:\n"
            "        continue\n"
            "    sys.exit(f'dev dependency {dev} in the image')\n"
        )
        run_env = {"PATH": os.environ.get("PATH", ""), "EW_DATA_DIR": str(tmp_path / "data")}
        ran = subprocess.run(
            [str(venv / "bin" / "python"), "-c", script],
            cwd=app,
            env=run_env,
            capture_output=True,
            text=True,
        )
        assert ran.returncode == 0, ran.stderr + ran.stdout


def _uvicorn_commands(app: str) -> Iterator[tuple[str, list[str]]]:
    for overlay in OVERLAYS:
        for node in _walk(list(check.render(overlay))):
            command = node.get("command") if isinstance(node, dict) else None
            if isinstance(command, list) and app in command:
                yield f"k8s {overlay}", command
    for node in _walk(compose()):
        command = node.get("command") if isinstance(node, dict) else None
        if isinstance(command, list) and app in command:
            yield "compose", command


def _gateway_commands() -> Iterator[tuple[str, list[str]]]:
    yield from _uvicorn_commands("gateway.app:app")
    containerfile = (DEPLOY / "Containerfile").read_text()
    cmd = next(line for line in containerfile.splitlines() if line.startswith("CMD "))
    yield "Containerfile", json.loads(cmd.removeprefix("CMD "))


def test_the_gateway_never_takes_its_client_address_from_headers():
    # uvicorn believes X-Forwarded-For from 127.0.0.1 by default (and a sidecar or a node-local
    # hop is exactly that): a client could then pick its own address and escape the gateway's
    # failed-credential budget. The gateway trusts proxies itself (GATEWAY_TRUSTED_PROXIES).
    commands = list(_gateway_commands())
    assert {name for name, _ in commands} == {"k8s dev", "k8s prod", "compose", "Containerfile"}
    for name, command in commands:
        assert command[0] == "uvicorn", name
        assert "--no-proxy-headers" in command, f"{name}: {command}"


@pytest.mark.parametrize("process", sorted(PROCESSES))
def test_every_process_keeps_idle_connections_longer_than_the_gateways_pool(process):
    # The gateway must close an idle upstream connection before the service does, or it may
    # send a request on a connection the service is closing (a 503 for nothing).
    app = "gateway.app:app" if process == "gateway" else f"services.{process}.app:app"
    commands = list(_uvicorn_commands(app))
    if process == "gateway":
        commands = list(_gateway_commands())
    assert {name for name, _ in commands} >= {"k8s dev", "k8s prod", "compose"}
    assert KEEP_ALIVE_SECONDS > UPSTREAM_IDLE_SECONDS
    for name, command in commands:
        at = command.index("--timeout-keep-alive")
        assert int(command[at + 1]) == KEEP_ALIVE_SECONDS, f"{name}: {command}"


# --------------------------------------------------------------------------------- compose


class TestCompose:
    def test_two_replicas_of_each_service_and_the_gateway(self):
        services = compose()["services"]
        for name in (*SERVICES, "gateway"):
            assert services[name]["deploy"]["replicas"] == 2, name
        assert services["gateway"]["ports"][0]["target"] == 8000
        assert services["gateway"]["ports"][0]["published"] == "8000-8001"

    def test_a_one_shot_migration_per_database_as_its_owner_before_its_process(self):
        services = compose()["services"]
        for name in PROCESS_NAMES:
            migrate = services[f"migrate-{name}"]
            assert migrate["command"] == ["python", "-m", "deploy.migrate", name, "upgrade"]
            assert migrate["restart"] == "no"
            env = migrate["environment"]
            owner = env[f"{name.upper()}_MIGRATION_DATABASE_URL"]
            assert owner.startswith("postgresql+asyncpg://app:") and owner.endswith(
                f"@db-{name}:5432/{name}"
            )
            assert env[f"{name.upper()}_DATABASE_URL"].startswith("postgresql+asyncpg://service:")
            depends = services[name]["depends_on"][f"migrate-{name}"]
            assert depends["condition"] == "service_completed_successfully"
            # the process itself never connects as the owner
            assert "://app:" not in json.dumps(services[name]["environment"])

    def test_nats_is_a_cluster_of_three_with_the_generated_users(self):
        services = compose()["services"]
        servers = {n: s for n, s in services.items() if n.startswith("nats-")}
        assert len(servers) == 3
        for name, server in servers.items():
            mounts = {
                (v["source"].removeprefix(str(DEPLOY) + "/"), v["target"])
                for v in server["volumes"]
                if v["type"] == "bind"
            }
            assert mounts == {
                ("compose/nats.conf", "/etc/nats/nats.conf"),
                ("k8s/base/nats/auth.conf", "/etc/nats/auth.conf"),
            }, name
            assert server["command"] == ["-c", "/etc/nats/nats.conf"]
            assert server["environment"]["NATS_SERVER_NAME"] == name
            assert set(server["environment"]) == {password_variable(u) for u in NATS_USERS} | {
                "NATS_SERVER_NAME"
            }
        conf = (DEPLOY / "compose" / "nats.conf").read_text()
        assert "jetstream" in conf and all(f"nats://{n}:6222" in conf for n in servers)

    def test_processes_connect_as_their_own_nats_user(self):
        raw = yaml.safe_load((DEPLOY / "compose.yaml").read_text())["services"]
        for name in PROCESS_NAMES:
            env = raw[name]["environment"]
            assert env["EW_NATS_USER"] == name
            assert env["EW_NATS_PASSWORD"] == f"${{{password_variable(name)}}}"

    def test_app_containers_are_read_only_without_capabilities(self):
        for name, service in compose()["services"].items():
            if service["image"].startswith("eastwest"):
                assert service["read_only"] is True, name
                assert service["cap_drop"] == ["ALL"], name


# ------------------------------------------------------------------------------ Kubernetes


@pytest.fixture(params=OVERLAYS)
def overlay(request):
    return request.param


class TestWorkloads:
    def test_every_process_is_a_deployment_with_probes_that_mean_what_they_say(self, overlay):
        deployments = of_kind(rendered(overlay), "Deployment")
        assert set(deployments) == set(PROCESS_NAMES)
        for name, d in deployments.items():
            (container,) = pod_spec(d)["containers"]
            # alive: the process answers; ready: /readyz, which stays 200 ("degraded") while NATS
            # is away (tests/shared/test_service_errors.py::TestNatsDown), so a broker outage
            # never empties the Service.
            assert container["livenessProbe"]["httpGet"]["path"] == "/healthz", name
            assert container["startupProbe"]["httpGet"]["path"] == "/healthz", name
            assert container["readinessProbe"]["httpGet"]["path"] == "/readyz", name
            assert d["spec"]["strategy"]["rollingUpdate"]["maxUnavailable"] == 0

    def test_every_container_has_requests_and_limits_and_runs_restricted(self, overlay):
        docs = rendered(overlay)
        workloads = [d for d in docs if d["kind"] in ("Deployment", "StatefulSet", "Job")]
        assert len(workloads) == 4 + 1 + 4
        for w in workloads:
            spec = pod_spec(w)
            assert spec["securityContext"]["runAsNonRoot"] is True
            assert spec["securityContext"]["seccompProfile"] == {"type": "RuntimeDefault"}
            assert spec["automountServiceAccountToken"] is False
            for c in spec["containers"]:
                name = f"{w['kind']}/{w['metadata']['name']}"
                assert {"cpu", "memory"} <= set(c["resources"]["requests"]), name
                assert "memory" in c["resources"]["limits"], name
                assert c["securityContext"]["allowPrivilegeEscalation"] is False, name
                assert c["securityContext"]["readOnlyRootFilesystem"] is True, name
                assert c["securityContext"]["capabilities"] == {"drop": ["ALL"]}, name
        namespace = of_kind(docs, "Namespace")["eastwest"]
        assert namespace["metadata"]["labels"]["pod-security.kubernetes.io/enforce"] == "restricted"

    def test_every_deployment_is_autoscaled_and_has_a_disruption_budget(self, overlay):
        docs = rendered(overlay)
        hpas, pdbs = of_kind(docs, "HorizontalPodAutoscaler"), of_kind(docs, "PodDisruptionBudget")
        for name, d in of_kind(docs, "Deployment").items():
            assert hpas[name]["spec"]["scaleTargetRef"] == {
                "apiVersion": "apps/v1",
                "kind": "Deployment",
                "name": name,
            }
            assert hpas[name]["spec"]["minReplicas"] >= (2 if overlay == "prod" else 1)
            labels = pod_spec(d) and d["spec"]["template"]["metadata"]["labels"]
            assert pdbs[name]["spec"]["selector"]["matchLabels"].items() <= labels.items()
            assert pdbs[name]["spec"]["maxUnavailable"] == 1
        assert pdbs["nats"]["spec"]["maxUnavailable"] == 1

    def test_secrets_are_referenced_never_embedded(self, overlay):
        docs = rendered(overlay)
        assert of_kind(docs, "Secret") == {}
        secret_like = re.compile(r"(SECRET|PASSWORD|_KEY|KEYS)$")
        for w in (d for d in docs if d["kind"] in ("Deployment", "StatefulSet", "Job")):
            for c in pod_spec(w)["containers"]:
                defined: set[str] = set()
                for e in c.get("env", []):
                    if secret_like.search(e["name"]) and e["name"] != "EW_NATS_USER":
                        assert "secretKeyRef" in e.get("valueFrom", {}), (w["metadata"]["name"], e)
                    # $(VAR) is expanded only from variables defined before it
                    for ref in re.findall(r"\$\((\w+)\)", e.get("value", "")):
                        assert ref in defined, (w["metadata"]["name"], e["name"], ref)
                    defined.add(e["name"])
        config = of_kind(docs, "ConfigMap")["eastwest-config"]["data"]
        assert not any(secret_like.search(k) for k in config)

    def test_a_migration_job_per_database_runs_as_its_owner(self, overlay):
        docs = rendered(overlay)
        jobs = of_kind(docs, "Job")
        assert set(jobs) == {f"migrate-{p}" for p in PROCESS_NAMES}
        for name in PROCESS_NAMES:
            (container,) = pod_spec(jobs[f"migrate-{name}"])["containers"]
            assert container["command"] == ["python", "-m", "deploy.migrate", name, "upgrade"]
            env = container_env(container)
            owner = env[f"{name.upper()}_MIGRATION_DATABASE_URL"]["value"]
            assert owner.startswith(f"postgresql+asyncpg://{name}:$(OWNER_PASSWORD)@db-{name}-rw:")
            assert env["OWNER_PASSWORD"]["valueFrom"]["secretKeyRef"] == {
                "name": f"db-{name}-app",
                "key": "password",
            }
            service = env[f"{name.upper()}_DATABASE_URL"]["value"]
            assert service.startswith(f"postgresql+asyncpg://{name}_service:")
            # the process itself connects as the service role only
            (app,) = pod_spec(of_kind(docs, "Deployment")[name])["containers"]
            app_env = container_env(app)
            assert f"{name.upper()}_MIGRATION_DATABASE_URL" not in app_env
            assert app_env[f"{name.upper()}_DATABASE_URL"]["value"] == service

    def test_each_process_connects_to_nats_as_its_own_user(self, overlay):
        for name, d in of_kind(rendered(overlay), "Deployment").items():
            env = container_env(pod_spec(d)["containers"][0])
            assert env["EW_NATS_USER"]["value"] == name
            ref = env["EW_NATS_PASSWORD"]["valueFrom"]["secretKeyRef"]
            assert ref == {"name": "nats-users", "key": name}


class TestNats:
    def test_the_generated_authorization_is_current(self):
        text = (DEPLOY / "k8s" / "base" / "nats" / "auth.conf").read_text()
        assert text == auth_conf()
        assert auth_conf().endswith(nats_authorization(BROKER))

    def test_a_jetstream_cluster_of_three_with_the_generated_users(self, overlay):
        docs = rendered(overlay)
        (nats,) = of_kind(docs, "StatefulSet").values()
        assert nats["spec"]["replicas"] == 3
        spec = pod_spec(nats)
        config_name = next(v["configMap"]["name"] for v in spec["volumes"] if "configMap" in v)
        assert config_name.startswith("nats-config-")  # hashed: a change rolls the pods
        config = of_kind(docs, "ConfigMap")[config_name]["data"]
        assert config["auth.conf"] == auth_conf()
        assert "include ./auth.conf" in config["nats.conf"]
        assert re.search(r"jetstream \{[^}]*store_dir: /data/", config["nats.conf"])
        assert {"/data", "/etc/nats"} <= {
            m["mountPath"] for m in spec["containers"][0]["volumeMounts"]
        }
        assert nats["spec"]["volumeClaimTemplates"][0]["metadata"]["name"] == "data"
        env = container_env(spec["containers"][0])
        for user in NATS_USERS:
            ref = env[password_variable(user)]["valueFrom"]["secretKeyRef"]
            assert ref == {"name": "nats-users", "key": user}
        # every route names a pod of the StatefulSet through its headless Service
        routes = re.findall(r"nats://([\w-]+)\.([\w-]+):6222", config["nats.conf"])
        assert routes == [(f"nats-{i}", nats["spec"]["serviceName"]) for i in range(3)]
        assert of_kind(docs, "Service")[nats["spec"]["serviceName"]]["spec"]["clusterIP"] == "None"

    def test_streams_are_replicated_three_times(self, overlay):
        config = of_kind(rendered(overlay), "ConfigMap")["eastwest-config"]["data"]
        assert config["EW_STREAM_REPLICAS"] == "3"


class TestDatabases:
    def test_a_cloudnativepg_cluster_per_process_with_its_service_role(self, overlay):
        docs = rendered(overlay)
        clusters = of_kind(docs, "Cluster")
        assert set(clusters) == {f"db-{p}" for p in PROCESS_NAMES}
        for name in PROCESS_NAMES:
            spec = clusters[f"db-{name}"]["spec"]
            assert spec["bootstrap"]["initdb"] == {"database": name, "owner": name}
            (role,) = spec["managed"]["roles"]
            assert role["name"] == f"{name}_service"
            assert role["passwordSecret"] == {"name": f"db-{name}-service"}
            assert spec["instances"] == (3 if overlay == "prod" else 1)

    def test_production_databases_are_backed_up(self):
        docs = rendered("prod")
        stores = of_kind(docs, "ObjectStore")
        backups = {
            d["spec"]["cluster"]["name"]: d for d in of_kind(docs, "ScheduledBackup").values()
        }
        for name, cluster in of_kind(docs, "Cluster").items():
            (plugin,) = cluster["spec"]["plugins"]
            assert plugin["isWALArchiver"] is True  # continuous WAL archiving: point-in-time
            assert plugin["parameters"]["barmanObjectName"] in stores
            assert backups[name]["spec"]["method"] == "plugin"
        for store in stores.values():
            assert store["spec"]["retentionPolicy"]
            creds = store["spec"]["configuration"]["s3Credentials"]
            assert creds["accessKeyId"]["name"] == creds["secretAccessKey"]["name"] == "backup-s3"


# ------------------------------------------------------------ who may connect to what


class Pod:
    def __init__(self, namespace: str, labels: dict[str, str]):
        self.namespace, self.labels = namespace, labels


def _selects(selector: Mapping[str, Any], labels: Mapping[str, str]) -> bool:
    if not all(labels.get(k) == v for k, v in selector.get("matchLabels", {}).items()):
        return False
    for expr in selector.get("matchExpressions", []):
        assert expr["operator"] in ("In", "NotIn", "Exists"), expr
        value = labels.get(expr["key"])
        if expr["operator"] == "In" and value not in expr["values"]:
            return False
        if expr["operator"] == "NotIn" and value in expr["values"]:
            return False
        if expr["operator"] == "Exists" and value is None:
            return False
    return True


def allowed(policies: list[dict[str, Any]], source: Pod, target: Pod, port: int) -> bool:
    """Whether these NetworkPolicies let ``source`` open ``port`` on ``target`` (ingress only:
    the platform's policies restrict who connects, not where pods connect to)."""
    selecting = [
        p
        for p in policies
        if target.namespace == p["metadata"]["namespace"]
        and _selects(p["spec"]["podSelector"], target.labels)
        and "Ingress" in p["spec"]["policyTypes"]
    ]
    if not selecting:
        return True
    for policy in selecting:
        for rule in policy["spec"].get("ingress", []):
            ports = rule.get("ports")
            if ports and port not in {p["port"] for p in ports}:
                continue
            for peer in rule.get("from", []):
                ns_selector, pod_selector = peer.get("namespaceSelector"), peer.get("podSelector")
                if ns_selector is not None:
                    ns_labels = {"kubernetes.io/metadata.name": source.namespace}
                    in_namespace = _selects(ns_selector, ns_labels)
                else:
                    in_namespace = source.namespace == policy["metadata"]["namespace"]
                if in_namespace and (pod_selector is None or _selects(pod_selector, source.labels)):
                    return True
    return False


class TestNetworkPolicies:
    NS = "eastwest"

    def pods(self) -> dict[str, Pod]:
        pods = {name: Pod(self.NS, {"app": name}) for name in (*PROCESS_NAMES, "nats", "ops")}
        pods |= {f"migrate-{p}": Pod(self.NS, {"app": f"migrate-{p}"}) for p in PROCESS_NAMES}
        pods |= {f"db-{p}": Pod(self.NS, {"cnpg.io/cluster": f"db-{p}"}) for p in PROCESS_NAMES}
        pods["ingress"] = Pod("gateway-system", {"app": "envoy"})
        pods["elsewhere"] = Pod("default", {"app": "gateway"})
        pods["stranger"] = Pod(self.NS, {"app": "debug"})
        pods["monitoring"] = Pod("monitoring", {"app": "prometheus"})
        pods["operator"] = Pod("cnpg-system", {"app": "cloudnative-pg"})
        return pods

    def reachable_from(self, overlay: str, target: str, port: int) -> set[str]:
        policies = list(of_kind(rendered(overlay), "NetworkPolicy").values())
        pods = self.pods()
        return {
            n for n, p in pods.items() if n != target and allowed(policies, p, pods[target], port)
        }

    def test_the_gateway_only_from_the_ingress_and_monitoring(self, overlay):
        assert self.reachable_from(overlay, "gateway", 8000) == {"ingress", "monitoring"}

    def test_the_services_only_from_the_gateway_and_monitoring(self, overlay):
        for service in SERVICES:
            assert self.reachable_from(overlay, service, 8000) == {"gateway", "monitoring"}

    def test_each_database_only_from_its_process_its_migration_and_its_operator(self, overlay):
        for name in PROCESS_NAMES:
            assert self.reachable_from(overlay, f"db-{name}", 5432) == {
                name,
                f"migrate-{name}",
                "operator",
            }

    def test_nats_only_from_the_platforms_processes(self, overlay):
        assert self.reachable_from(overlay, "nats", 4222) == {*PROCESS_NAMES, "ops"}
        assert self.reachable_from(overlay, "nats", 6222) == set()  # only NATS pods (routes)

    def test_the_gateway_trusts_forwarded_addresses_only_from_the_pod_network(self, overlay):
        # Only the ingress's namespace reaches the gateway (above), so only its proxies' header
        # is believed; and the route sends the public traffic to the gateway's Service.
        docs = rendered(overlay)
        env = container_env(pod_spec(of_kind(docs, "Deployment")["gateway"])["containers"][0])
        networks = env["GATEWAY_TRUSTED_PROXIES"]["value"].split(",")
        assert networks and all(ipaddress.ip_network(n).is_private for n in networks)
        (route,) = of_kind(docs, "HTTPRoute").values()
        backends = [b for rule in route["spec"]["rules"] for b in rule["backendRefs"]]
        assert backends == [{"name": "gateway", "port": 8000}]
        assert of_kind(docs, "Service")["gateway"]["spec"].get("type", "ClusterIP") == "ClusterIP"


def test_the_kustomize_base_is_not_applied_by_mistake():
    # `kubectl apply -k deploy/k8s` has nothing to apply: an overlay names the image.
    assert not (Path(DEPLOY) / "k8s" / "kustomization.yaml").exists()
    for overlay in OVERLAYS:
        images = {
            c["image"]
            for d in check.render(overlay)
            if d["kind"] in ("Deployment", "Job")
            for c in pod_spec(d)["containers"]
        }
        assert (
            len(images) == 1
            and ":" in next(iter(images))
            and not next(iter(images)).endswith(":latest")
        )


def test_autoscaling_stays_within_each_databases_connections(overlay):
    # Each replica's pool holds up to pool_size + max_overflow connections (shared/db.py); the
    # autoscaler's ceiling, plus a migration and the operator's own, must fit max_connections.
    import inspect

    from shared.db import make_engine

    pool = inspect.signature(make_engine).parameters["pool_size"].default
    docs = rendered(overlay)
    hpas, clusters = of_kind(docs, "HorizontalPodAutoscaler"), of_kind(docs, "Cluster")
    for name in PROCESS_NAMES:
        max_connections = int(
            clusters[f"db-{name}"]["spec"]["postgresql"]["parameters"]["max_connections"]
        )
        peak = hpas[name]["spec"]["maxReplicas"] * 2 * pool + 2 * pool + 10
        assert peak <= max_connections, (overlay, name, peak, max_connections)
