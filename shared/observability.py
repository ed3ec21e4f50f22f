"""Request context, access logs, Prometheus metrics and the health endpoints of every process."""

import re
import time
import uuid
from collections.abc import Awaitable, Callable
from typing import Any

import structlog
from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, Response
from prometheus_client import CONTENT_TYPE_LATEST, Counter, Histogram, generate_latest
from sqlalchemy import text
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from shared.migrations import current_revision
from shared.runtime import runtime_of

REQUEST_ID_HEADER = "x-request-id"
_SANE_REQUEST_ID = re.compile(r"[A-Za-z0-9._:-]{1,100}")
log = structlog.get_logger("access")

REQUESTS = Counter(
    "ew_http_requests_total", "HTTP requests served", ["service", "method", "route", "status"]
)
LATENCY = Histogram(
    "ew_http_request_seconds",
    "HTTP request latency",
    ["service", "method", "route"],
    buckets=(0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10),
)


class RequestContextMiddleware:
    """Binds a request id (from ``X-Request-ID`` or new), logs one line per request, counts it."""

    def __init__(self, app: ASGIApp, service: str) -> None:
        self.app = app
        self.service = service

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        request_id = None
        for name, value in scope.get("headers", []):
            if name == b"x-request-id":
                candidate = value.decode("latin-1")
                # Only a sane id is kept, so gateway and services log the same one.
                request_id = candidate if _SANE_REQUEST_ID.fullmatch(candidate) else None
                break
        request_id = request_id or uuid.uuid4().hex
        structlog.contextvars.clear_contextvars()
        structlog.contextvars.bind_contextvars(service=self.service, request_id=request_id)
        status = 500
        started = time.perf_counter()

        async def send_wrapper(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                headers = list(message.get("headers", []))
                headers.append((b"x-request-id", request_id.encode("latin-1")))
                message["headers"] = headers
            await send(message)

        try:
            await self.app(scope, receive, send_wrapper)
        finally:
            elapsed = time.perf_counter() - started
            route = scope.get("route")
            template = getattr(route, "path", "unmatched")
            REQUESTS.labels(self.service, scope["method"], template, str(status)).inc()
            LATENCY.labels(self.service, scope["method"], template).observe(elapsed)
            if template not in ("/healthz", "/metrics"):
                log.info(
                    "request",
                    method=scope["method"],
                    route=template,
                    status=status,
                    ms=round(elapsed * 1000, 1),
                )


Check = Callable[[Request], Awaitable[tuple[bool, str]]]


async def check_database(request: Request) -> tuple[bool, str]:
    try:
        async with runtime_of(request).engine.connect() as conn:
            await conn.execute(text("SELECT 1"))
    except Exception as exc:  # any failure means not ready; say which
        return False, f"unreachable: {type(exc).__name__}"
    return True, "ok"


async def check_nats(request: Request) -> tuple[bool, str]:
    nc = runtime_of(request).nats
    if nc is None or not nc.is_connected:
        return False, "degraded: not connected; events wait in the outbox"
    return True, "ok"


async def check_migrations(request: Request) -> tuple[bool, str]:
    runtime = runtime_of(request)
    try:
        current = await current_revision(runtime.engine)
    except Exception as exc:  # database down: reported by the database check too
        return False, f"unknown: {type(exc).__name__}"
    head = runtime.head_revision
    if current == head:
        return True, "at head"
    if current is not None and runtime.known_revisions and current not in runtime.known_revisions:
        # A newer version of this process migrated the database during a rollout. Migrations
        # are backwards-compatible (expand first, contract a release later: deploy/README.md),
        # so this version still serves until it is replaced.
        return True, f"at {current}, ahead of this version's head {head}"
    return False, f"at {current}, head is {head}"


def health_router(
    checks: dict[str, Check],
    *,
    degrading: frozenset[str] = frozenset(),
    ready_summary: str = "Ready to serve: database, NATS and migrations",
) -> APIRouter:
    """``/readyz`` answers 503 when a check fails, except the ``degrading`` ones: without them
    the process still serves requests, so it answers 200 with status ``degraded``."""
    router = APIRouter(tags=["health"])

    @router.get("/healthz", summary="The process is alive", operation_id="healthz")
    async def healthz() -> dict[str, str]:
        return {"status": "alive"}

    @router.get(
        "/readyz",
        summary=ready_summary,
        operation_id="readyz",
        responses={503: {"description": "Not ready: a required check failed"}},
    )
    async def readyz(request: Request) -> JSONResponse:
        results: dict[str, Any] = {}
        ready, degraded = True, False
        for name, check in checks.items():
            ok, detail = await check(request)
            results[name] = detail
            if name in degrading:
                degraded = degraded or not ok
            else:
                ready = ready and ok
        status = "not ready" if not ready else "degraded" if degraded else "ready"
        return JSONResponse(
            {"status": status, "checks": results}, status_code=200 if ready else 503
        )

    @router.get(
        "/metrics", summary="Prometheus metrics", operation_id="metrics", response_class=Response
    )
    async def metrics() -> Response:
        return Response(generate_latest(), media_type=CONTENT_TYPE_LATEST)

    return router
