"""The gateway: the platform's one public entry.

It authenticates every caller (API keys for machines, login tokens for staff), limits request
rates and body sizes, strips any identity a client claims and hands the verified one to the
services signed, routes ``/v1/jobs|products|subsidies/*`` to them, and serves the aggregated API
docs offline. It has its own database (users, API keys); from NATS it only reads the services'
events as they pass, for the console's live feed, and works without it.
"""

import asyncio
import contextlib
import json
import sys
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from functools import partial

import aiohttp
import structlog
from fastapi import FastAPI, Request
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from starlette.types import ASGIApp, Receive, Scope, Send

from gateway import service
from gateway.config import GatewaySettings, get_settings
from gateway.console import mount_console
from gateway.console.feed import ActivityFeed
from gateway.dependencies import get_runtime
from gateway.docs import mount_docs
from gateway.limits import CredentialListener, prune_forever
from gateway.proxy import GatewayMiddleware, ProxyEntry, http_session
from gateway.routes import admin_router, auth_router
from gateway.runtime import GatewayRuntime
from shared.db import make_engine, make_sessionmaker
from shared.errors import install_error_handlers
from shared.events.signing import EventVerifier
from shared.logging import configure_logging
from shared.migrations import head_revision, known_revisions, upgrade_to_head
from shared.observability import (
    RequestContextMiddleware,
    check_database,
    check_migrations,
    health_router,
)
from shared.openapi import document_problems

log = structlog.get_logger("gateway")

TAGS = [
    {"name": "auth", "description": "Staff login and the caller's own identity."},
    {"name": "admin", "description": "Staff users and API keys (admin only)."},
    {"name": "health", "description": "Liveness, readiness and metrics of the gateway."},
]
BOOTSTRAP_RETRY_SECONDS = 2.0


async def bootstrap_admin(
    sessionmaker: async_sessionmaker[AsyncSession], settings: GatewaySettings
) -> None:
    """Create the first admin when there is no user at all, retrying while the database is
    not there yet. A generated password is printed once, to stdout only."""
    given = settings.bootstrap_admin_password
    while True:
        try:
            async with sessionmaker() as session:
                generated = await service.ensure_bootstrap_admin(
                    session, given.get_secret_value() if given else None
                )
                await session.commit()
            break
        except IntegrityError:
            return  # another replica created it first
        except Exception as exc:  # database not reachable or not migrated yet
            log.warning("bootstrap_admin_waiting", error=type(exc).__name__)
            await asyncio.sleep(BOOTSTRAP_RETRY_SECONDS)
    if generated is not None:
        # Printed, not logged: one JSON line on stdout (which `make run`'s launcher reads to
        # show it), kept out of the log pipeline and written nowhere else.
        print(
            json.dumps(
                {
                    "event": "bootstrap_admin_created",
                    "username": service.BOOTSTRAP_USERNAME,
                    "password": generated,
                    "message": "Shown only this once: log in and change the password "
                    "(POST /v1/auth/password).",
                }
            ),
            file=sys.stdout,
            flush=True,
        )


async def check_upstreams(request: Request) -> tuple[bool, str]:
    """Each service's liveness. The gateway stays ready while at least one service answers:
    taking it out of rotation for one service's outage would cut off the others too."""
    runtime = get_runtime(request)

    async def alive(base_url: str) -> str:
        try:
            async with asyncio.timeout(1.0):
                async with runtime.http.get(f"{base_url}/healthz") as response:
                    return "ok" if response.status == 200 else f"status {response.status}"
        except (TimeoutError, aiohttp.ClientError) as exc:
            return f"unreachable: {type(exc).__name__}"

    names = list(runtime.upstreams)
    states = await asyncio.gather(*(alive(runtime.upstreams[n]) for n in names))
    detail = ", ".join(f"{n} {s}" for n, s in zip(names, states, strict=True))
    return any(s == "ok" for s in states), detail


class GatewayApp(FastAPI):
    """FastAPI for the gateway's own routes; service paths skip FastAPI's middleware stack and
    router and go straight to the proxy (under the request-context middleware, for request ids,
    access logs and metrics). Measured on this machine kind, that stack cost about a fifth of
    the proxied throughput."""

    proxy_entry: ASGIApp

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            runtime: GatewayRuntime | None = getattr(self.state, "runtime", None)
            upstream = runtime.upstream_for(scope["path"]) if runtime is not None else None
            if upstream is not None:
                scope["app"] = self
                scope["ew.upstream"] = upstream
                await self.proxy_entry(scope, receive, send)
                return
        await super().__call__(scope, receive, send)


def activity_feed(settings: GatewaySettings) -> ActivityFeed:
    """The console's live feed: the events of every service the gateway routes to, each
    checked against its publisher's key."""
    publishers = list(settings.upstreams())
    return ActivityFeed(
        url=settings.nats_url,
        user=settings.nats_user,
        password=settings.nats_password.get_secret_value(),
        publishers=publishers,
        verifier=EventVerifier(settings.event_public_key_map(publishers)),
        namespace=settings.event_namespace,
    )


@asynccontextmanager
async def run_gateway(app: FastAPI, settings: GatewaySettings) -> AsyncIterator[None]:
    """The gateway process's life: its database (migrated if asked), the upstream connection
    pool and the runtime holding both, and the first admin created in the background."""
    configure_logging("gateway", level=settings.log_level, json=settings.log_json)
    structlog.contextvars.bind_contextvars(service="gateway")
    if settings.database_url.startswith("sqlite"):
        settings.data_dir.mkdir(parents=True, exist_ok=True)
    engine = make_engine(settings.database_url)
    sessionmaker = make_sessionmaker(engine)
    if settings.migrate_on_start:
        await upgrade_to_head(engine, "gateway")
    async with http_session(
        settings.upstream_pool_size,
        settings.upstream_connect_timeout_seconds,
        settings.upstream_read_timeout_seconds,
    ) as http:
        runtime = app.state.runtime = GatewayRuntime(
            settings,
            http,
            engine,
            sessionmaker,
            head_revision("gateway"),
            known_revisions("gateway"),
        )
        bootstrap = asyncio.create_task(bootstrap_admin(sessionmaker, settings), name="bootstrap")
        fleet: list[asyncio.Task[None]] = []
        if runtime.buckets is not None:
            # The fleet's limits and revocations (gateway/limits.py).
            dsn = engine.url.set(drivername="postgresql").render_as_string(hide_password=False)
            listener = CredentialListener(dsn, runtime.auth)
            fleet.append(asyncio.create_task(listener.run(), name="credential-listener"))
            limiters = [runtime.limiter, runtime.login_limiter, runtime.auth.failures]
            fleet.append(asyncio.create_task(prune_forever(runtime.buckets, limiters)))
            # Start listening before serving, if the database lets us soon (else the credential
            # memory stays off until it does: slower, never stale).
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(listener.listening.wait(), 5)
        feed = activity_feed(settings)
        app.state.feed = feed
        subscribing = asyncio.create_task(feed.run(), name="feed")
        try:
            yield
        finally:
            for task in (bootstrap, subscribing, *fleet):
                task.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await task
            await feed.close()
    await engine.dispose()


def create_app(settings: GatewaySettings | None = None) -> FastAPI:
    settings = settings or get_settings()
    app = GatewayApp(
        title="East-west cooperation platform",
        description="The one public API of the Haizhu–Weng'an cooperation platform: jobs, "
        "product sales and employment subsidies. Every call but the public job board, login "
        "and health needs `Authorization: Bearer <API key or login token>`.",
        version="1.0.0",
        lifespan=partial(run_gateway, settings=settings),
        openapi_tags=TAGS,
        openapi_url=None,
        docs_url=None,
        redoc_url=None,
        root_path_in_servers=False,
    )
    app.proxy_entry = RequestContextMiddleware(ProxyEntry(), service="gateway")
    install_error_handlers(app)
    document_problems(app)
    # Last added runs first: request id and access log around everything, then the body limit.
    app.add_middleware(GatewayMiddleware)
    app.add_middleware(RequestContextMiddleware, service="gateway")
    app.include_router(
        health_router(
            {
                "database": check_database,
                "migrations": check_migrations,
                "upstreams": check_upstreams,
            },
            ready_summary="Ready to serve: database, migrations and at least one service",
        )
    )
    app.include_router(auth_router)
    app.include_router(admin_router)
    mount_docs(app)
    mount_console(app)
    return app


app = create_app()
