"""One API description for the whole platform, and Swagger UI served by the gateway itself.

``/openapi.json`` merges the gateway's own document with each service's (fetched from the
service, kept for ``openapi_cache_seconds``; a service that is down is left out and named in the
description, with its last good copy used if there is one). ``/docs`` loads Swagger UI from the
``swagger-ui-bundle`` package's files: no page asset comes from another host, and the page's
Content-Security-Policy forbids it.
"""

import asyncio
import copy
import time
from pathlib import Path
from typing import Any

import structlog
import swagger_ui_bundle
from fastapi import APIRouter, FastAPI, Request
from fastapi.responses import HTMLResponse, JSONResponse, Response
from fastapi.staticfiles import StaticFiles

from gateway.proxy import is_public
from gateway.runtime import GatewayRuntime

log = structlog.get_logger("gateway.docs")

SECURITY_SCHEME = {
    "type": "http",
    "scheme": "bearer",
    "description": "An API key (`ew_…`, from an admin) or a staff login token "
    "(`POST /v1/auth/login`).",
}
HTTP_METHODS = {"get", "put", "post", "delete", "options", "head", "patch", "trace"}
CSP = (
    "default-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'; "
    "script-src 'self'; connect-src 'self'; frame-ancestors 'none'; base-uri 'none'"
)
FETCH_TIMEOUT_SECONDS = 3.0
REF_PREFIX = "#/components/schemas/"
# What the gateway itself may answer to any operation, before (or instead of) the service: a
# missing or bad credential, a spent rate or failure budget, a body over the size limit.
_PROBLEM = {"application/problem+json": {"schema": {"$ref": REF_PREFIX + "Problem"}}}
GATEWAY_ANSWERS = {
    "401": "No credential, or one that is not valid, has expired or has been revoked.",
    "413": "The body is larger than the gateway accepts (`GATEWAY_MAX_BODY_BYTES`).",
    "429": "Too many requests from this credential, or too many bad credentials from this "
    "address: retry after the seconds given in Retry-After.",
}
SWAGGER_UI_DIR = Path(str(swagger_ui_bundle.swagger_ui_path))


_PAGE = """<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>East-west cooperation platform: API</title>
<link rel="stylesheet" href="{root}/docs/static/swagger-ui.css">
<link rel="icon" type="image/png" href="{root}/docs/static/favicon-32x32.png">
</head>
<body>
<div id="swagger-ui"></div>
<script src="{root}/docs/static/swagger-ui-bundle.js"></script>
<script src="{root}/docs/init.js"></script>
</body>
</html>
"""
# validatorUrl null: Swagger UI would otherwise send the document to an outside validator.
_INIT = """window.ui = SwaggerUIBundle({{
  url: "{root}/openapi.json",
  dom_id: "#swagger-ui",
  validatorUrl: null,
  deepLinking: true,
  presets: [SwaggerUIBundle.presets.apis],
  layout: "BaseLayout"
}});
"""


def _rewrite_refs(node: Any, mapping: dict[str, str]) -> Any:
    if isinstance(node, dict):
        out = {}
        for key, value in node.items():
            if key == "$ref" and isinstance(value, str) and value.startswith(REF_PREFIX):
                name = value[len(REF_PREFIX) :]
                out[key] = REF_PREFIX + mapping.get(name, name)
            else:
                out[key] = _rewrite_refs(value, mapping)
        return out
    if isinstance(node, list):
        return [_rewrite_refs(v, mapping) for v in node]
    return node


def merge_service(merged: dict[str, Any], service: str, doc: dict[str, Any]) -> None:
    """Add one service's paths (under ``/v1/<service>``), schemas and tags (named
    ``<service>: <tag>``) to ``merged``.
    A schema whose name another document already uses for something else is renamed
    ``<service>_<name>`` and every reference to it follows."""
    target = merged.setdefault("components", {}).setdefault("schemas", {})
    schemas: dict[str, Any] = doc.get("components", {}).get("schemas", {}) or {}
    mapping: dict[str, str] = {}
    changed = True
    while changed:  # a rename can make a schema that refers to it differ too: repeat
        changed = False
        for name, schema in schemas.items():
            if name in mapping:
                continue
            rewritten = _rewrite_refs(schema, mapping)
            if name in target and target[name] != rewritten:
                mapping[name] = f"{service}_{name}"
                changed = True
    for name, schema in schemas.items():
        target.setdefault(mapping.get(name, name), _rewrite_refs(schema, mapping))

    prefix = f"/v1/{service}"
    for path, item in (doc.get("paths") or {}).items():
        if path != prefix and not path.startswith(prefix + "/"):
            continue  # health and metrics of a service are not reachable through the gateway
        item = _rewrite_refs(item, mapping)
        for method, operation in item.items():
            if isinstance(operation, dict) and operation.get("tags"):
                operation["tags"] = [_tag(service, t) for t in operation["tags"]]
            if (
                method in HTTP_METHODS
                and isinstance(operation, dict)
                and is_public(method.upper(), _example_path(path))
            ):
                operation["security"] = []
        merged.setdefault("paths", {})[path] = item
    known = {t.get("name") for t in merged.get("tags", [])}
    for tag in doc.get("tags", []) or []:
        tag = tag | {"name": _tag(service, str(tag.get("name")))}
        if tag["name"] not in known:
            merged.setdefault("tags", []).append(tag)


def _tag(service: str, name: str) -> str:
    # Grouped by service in the docs: two services may both have, say, "applications".
    return f"{service}: {name}"


def _example_path(template: str) -> str:
    """``/v1/jobs/postings/{posting_id}`` → a concrete path the public-route rules can match."""
    return "/".join("x" if part.startswith("{") else part for part in template.split("/"))


async def _fetch(runtime: GatewayRuntime, service: str, base_url: str) -> dict[str, Any] | None:
    try:
        async with asyncio.timeout(FETCH_TIMEOUT_SECONDS):
            async with runtime.http.get(f"{base_url}/openapi.json") as response:
                if response.status != 200:
                    return None
                doc = await response.json()
    except Exception as exc:  # down, slow or not JSON: left out of the document this time
        log.warning("openapi_fetch_failed", upstream=service, error=type(exc).__name__)
        return None
    return doc if isinstance(doc, dict) else None


async def aggregated_openapi(app: FastAPI, runtime: GatewayRuntime) -> dict[str, Any]:
    cache = runtime.openapi_cache
    now = time.monotonic()
    if cache.get("doc") is not None and cache.get("expires", 0.0) > now:
        return cache["doc"]
    services = list(runtime.upstreams.items())
    fetched = await asyncio.gather(*(_fetch(runtime, s, url) for s, url in services))
    last_good: dict[str, dict[str, Any]] = cache.setdefault("last_good", {})
    merged = copy.deepcopy(app.openapi())
    missing = []
    for (service, _url), doc in zip(services, fetched, strict=True):
        if doc is not None:
            last_good[service] = doc
        elif service in last_good:
            doc = last_good[service]
        if doc is None:
            missing.append(service)
            continue
        merge_service(merged, service, doc)
    components = merged.setdefault("components", {})
    components.setdefault("securitySchemes", {})["bearer"] = SECURITY_SCHEME
    merged["security"] = [{"bearer": []}]
    for path in ("/healthz", "/readyz", "/metrics"):
        for operation in merged.get("paths", {}).get(path, {}).values():
            operation["security"] = []
    add_gateway_answers(merged)
    if missing:
        merged["info"]["description"] += (
            f"\n\n**Not shown now** (service unreachable): {', '.join(missing)}."
        )
    ttl = runtime.settings.openapi_cache_seconds
    cache["doc"] = merged
    # An incomplete document is kept briefly only, so the missing part appears soon after.
    cache["expires"] = now + (min(ttl, 5.0) if missing else ttl)
    return merged


def add_gateway_answers(merged: dict[str, Any]) -> None:
    """Document on every operation what the gateway answers on its own: 401 where a credential
    is needed, 429 everywhere (a credential's rate, and an address's budget of bad credentials,
    which a public operation sent a bad credential spends too), 413 where a body is sent. A
    service's own description of the same code is kept."""
    for path, item in merged.get("paths", {}).items():
        if path in ("/healthz", "/readyz", "/metrics"):
            continue  # the gateway's own probes: no credential, no rate, no body
        for method, operation in item.items():
            if method not in HTTP_METHODS or not isinstance(operation, dict):
                continue
            answers = operation.setdefault("responses", {})
            codes = ["429"]
            if operation.get("security", merged.get("security")):
                codes.append("401")
            if "requestBody" in operation:
                codes.append("413")
            for code in codes:
                answers.setdefault(
                    code, {"description": GATEWAY_ANSWERS[code], "content": _PROBLEM}
                )


def docs_router() -> APIRouter:
    router = APIRouter(tags=["docs"], include_in_schema=False)

    @router.get("/openapi.json")
    async def openapi(request: Request) -> JSONResponse:
        return JSONResponse(await aggregated_openapi(request.app, request.app.state.runtime))

    @router.get("/docs")
    async def docs(request: Request) -> HTMLResponse:
        root = request.scope.get("root_path", "").rstrip("/")
        return HTMLResponse(_PAGE.format(root=root), headers={"Content-Security-Policy": CSP})

    @router.get("/docs/init.js")
    async def init(request: Request) -> Response:
        root = request.scope.get("root_path", "").rstrip("/")
        return Response(
            _INIT.format(root=root),
            media_type="text/javascript",
            headers={"Cache-Control": "no-cache"},
        )

    return router


def mount_docs(app: FastAPI) -> None:
    app.include_router(docs_router())
    app.mount("/docs/static", StaticFiles(directory=SWAGGER_UI_DIR), name="swagger-ui")
