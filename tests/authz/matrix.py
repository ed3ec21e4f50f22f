"""Reading the authorisation matrix (matrix.yaml) and listing the routes the apps really have."""

import importlib
import re
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

import yaml

MATRIX = Path(__file__).with_name("matrix.yaml")
SERVICES = ("jobs", "products", "subsidies")
# The gateway's own API that the matrix covers; its health and docs routes are public by design.
GATEWAY_PREFIXES = ("/v1/",)
DEFAULT_DENIAL = {"anonymous": 401}  # everyone else: 403


@dataclass(frozen=True)
class Row:
    method: str
    template: str
    case: str
    expect: dict[str, int]
    callers: tuple[str, ...]
    path: dict[str, str] = field(default_factory=dict)
    query: dict[str, str] = field(default_factory=dict)
    body: Any = None
    content: str | None = None
    content_type: str | None = None
    defect: str | None = None

    @property
    def op(self) -> str:
        return f"{self.method} {self.template}"

    @property
    def id(self) -> str:
        return f"{self.op} [{self.case}]" if self.case else self.op


@cache
def load() -> dict[str, Any]:
    return yaml.safe_load(MATRIX.read_text())  # type: ignore[no-any-return]


def callers() -> tuple[str, ...]:
    return tuple(load()["callers"])


def expand(expect: dict[str, int]) -> dict[str, int]:
    """Groups first, then single callers (a caller named on its own wins over its group); every
    caller not named gets the default denial."""
    groups: dict[str, list[str]] = load()["groups"]
    out = {c: DEFAULT_DENIAL.get(c, 403) for c in callers()}
    for name, status in expect.items():
        if name in groups:
            out.update(dict.fromkeys(groups[name], status))
    for name, status in expect.items():
        if name not in groups:
            if name not in out:
                raise ValueError(f"unknown caller or group {name!r} in matrix.yaml")
            out[name] = status
    return out


@cache
def rows() -> tuple[Row, ...]:
    out = []
    for raw in load()["routes"]:
        method, template = raw["op"].split(" ", 1)
        unknown = set(raw) - {
            "op", "case", "path", "query", "body", "content", "content_type", "callers",
            "expect", "defect",
        }  # fmt: skip
        if unknown:
            raise ValueError(f"{raw['op']}: unknown keys {sorted(unknown)}")
        out.append(
            Row(
                method=method,
                template=template,
                case=raw.get("case", ""),
                expect=expand(raw.get("expect") or {}),
                callers=tuple(raw.get("callers") or callers()),
                path=raw.get("path") or {},
                query=raw.get("query") or {},
                body=raw.get("body"),
                content=raw.get("content"),
                content_type=raw.get("content_type"),
                defect=raw.get("defect"),
            )
        )
    return tuple(out)


def service_apps() -> dict[str, Any]:
    """Each service's app and the gateway's, built (not started) to read their OpenAPI."""
    from gateway.app import create_app as create_gateway
    from tests.support.apps import gateway_settings, service_settings

    class _NoDatabases:
        def url(self, service: str) -> str:
            return "sqlite+aiosqlite:///:memory:"

    apps = {}
    for name in SERVICES:
        module = importlib.import_module(f"services.{name}.app")
        settings = service_settings(name, "sqlite+aiosqlite:///:memory:", "nats://127.0.0.1:9", "x")
        apps[name] = module.create_app(settings)
    apps["gateway"] = create_gateway(gateway_settings(_NoDatabases()))
    return apps


@cache
def routes() -> dict[str, frozenset[tuple[str, str]]]:
    """(METHOD, path template) of every operation each app's OpenAPI lists under /v1/."""
    out = {}
    for name, app in service_apps().items():
        ops = set()
        for path, item in app.openapi()["paths"].items():
            if not path.startswith(GATEWAY_PREFIXES):
                continue
            for method in item:
                if method in {"get", "post", "put", "patch", "delete", "head", "options"}:
                    ops.add((method.upper(), path))
        out[name] = frozenset(ops)
    return out


def uncovered(
    app_routes: dict[str, frozenset[tuple[str, str]]], table: tuple[Row, ...]
) -> set[str]:
    """The routes of the apps that no row of the table names."""
    covered = {(row.method, row.template) for row in table}
    return {
        f"{app}: {method} {path}"
        for app, ops in app_routes.items()
        for method, path in ops
        if (method, path) not in covered
    }


PARAM = re.compile(r"\{([^}]+)\}")


def fill(template: str, values: dict[str, str]) -> str:
    return PARAM.sub(lambda m: values[m.group(1)], template)
