"""The one way a service is assembled: settings, database, NATS (relay and consumers), error
handlers, request context, health. A service's ``app.py`` only names its parts."""

import asyncio
import contextlib
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from typing import Any

import nats
import structlog
from fastapi import APIRouter, FastAPI
from nats.aio.client import Client as NATS

from shared.db import make_engine, make_sessionmaker
from shared.errors import install_error_handlers
from shared.events.consumer import ConsumerRunner, Subscription
from shared.events.metrics import EventGauges
from shared.events.permissions import connect_options
from shared.events.relay import OutboxRelay
from shared.events.signing import EventSigner, EventVerifier
from shared.events.streams import ensure_dead_letter_stream, ensure_stream
from shared.logging import configure_logging
from shared.migrations import head_revision, known_revisions, upgrade_to_head
from shared.observability import (
    RequestContextMiddleware,
    check_database,
    check_migrations,
    check_nats,
    health_router,
)
from shared.openapi import document_problems
from shared.pii import PiiVault
from shared.runtime import ServiceRuntime
from shared.settings import ServiceSettings

log = structlog.get_logger("app")


async def connect_nats(url: str, name: str, *, user: str = "", password: str = "") -> NATS:
    """Connect, retrying for as long as it takes: a service serves writes without NATS."""
    delay = 0.2
    while True:
        try:
            return await nats.connect(
                url,
                name=name,
                **connect_options(user, password),
                allow_reconnect=True,
                max_reconnect_attempts=-1,
                reconnect_time_wait=0.5,
                connect_timeout=2,
            )
        except Exception as exc:  # server not up yet: retry with backoff
            log.warning("nats_connect_failed", url=url, error=type(exc).__name__)
            await asyncio.sleep(delay)
            delay = min(delay * 2, 5.0)


async def start_messaging(
    runtime: ServiceRuntime[Any], subscriptions: Sequence[Subscription]
) -> None:
    settings = runtime.settings
    consumed = [sub.publisher for sub in subscriptions]
    nc = await connect_nats(
        settings.nats_url,
        settings.service_name,
        user=settings.nats_user,
        password=settings.nats_password.get_secret_value(),
    )
    runtime.nats = nc
    js = nc.jetstream(timeout=settings.publish_timeout_seconds)
    while True:
        try:
            await ensure_stream(
                js,
                settings.service_name,
                replicas=settings.stream_replicas,
                namespace=settings.event_namespace,
            )
            await ensure_dead_letter_stream(
                js,
                settings.event_publishers(consumed),
                replicas=settings.stream_replicas,
                namespace=settings.event_namespace,
            )
            break
        except Exception as exc:  # JetStream not ready yet
            log.warning("stream_setup_failed", error=type(exc).__name__, detail=str(exc)[:200])
            await asyncio.sleep(1.0)
    relay = OutboxRelay(
        runtime.sessionmaker,
        js,
        service=settings.service_name,
        signer=EventSigner(settings.event_private_key()),
        poll_seconds=settings.relay_poll_seconds,
        publish_timeout=settings.publish_timeout_seconds,
        namespace=settings.event_namespace,
    )
    runtime.relay = relay
    runtime.tasks.append(asyncio.create_task(relay.run(), name="relay"))
    if subscriptions:
        runner = ConsumerRunner(
            runtime.sessionmaker,
            js,
            list(subscriptions),
            verifier=EventVerifier(settings.event_public_key_map(consumed)),
            max_deliver=settings.consumer_max_deliver,
            ack_wait=settings.consumer_ack_wait_seconds,
            retry_delay=settings.consumer_retry_delay_seconds,
            replicas=settings.stream_replicas,
            namespace=settings.event_namespace,
        )
        runtime.consumers = runner
        runtime.tasks.extend(await runner.start())
    runtime.messaging_ready.set()
    log.info("messaging_started", nats=settings.nats_url)


async def stop_tasks(tasks: Sequence[asyncio.Task[Any]], *, within: float = 10.0) -> None:
    """Cancel background tasks until they are really done: a library's ``asyncio.wait_for`` can
    swallow one cancel on Python 3.11 (CPython gh-86296), so one cancel is not enough."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + within
    for task in tasks:
        while not task.done() and loop.time() < deadline:
            task.cancel()
            await asyncio.wait({task}, timeout=0.2)
        if task.done() and not task.cancelled():
            with contextlib.suppress(Exception):
                task.result()


RuntimeFactory = Callable[..., ServiceRuntime[Any]]


def _service_lifespan(
    settings: ServiceSettings,
    subscriptions: Sequence[Subscription],
    *,
    migrate_on_start: bool,
    on_startup: Callable[[ServiceRuntime[Any]], Awaitable[None]] | None,
    runtime_class: RuntimeFactory,
) -> Callable[[FastAPI], AbstractAsyncContextManager[None]]:
    """Start-up and shut-down of a service: the runtime, migrations, the service's own start-up
    hook, event gauges and messaging (in the background: the service serves without NATS)."""
    service = settings.service_name

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        configure_logging(service, level=settings.log_level, json=settings.log_json)
        structlog.contextvars.bind_contextvars(service=service)  # inherited by background tasks
        if settings.database_url.startswith("sqlite"):
            settings.data_dir.mkdir(parents=True, exist_ok=True)
        engine = make_engine(settings.database_url)
        runtime = runtime_class(
            engine=engine,
            sessionmaker=make_sessionmaker(engine),
            head_revision=head_revision(settings.package()),
            known_revisions=known_revisions(settings.package()),
            settings=settings,
            vault=PiiVault(settings.pii_key.get_secret_value()),
        )
        app.state.runtime = runtime
        if migrate_on_start:
            await upgrade_to_head(engine, settings.package())
        if on_startup is not None:
            await on_startup(runtime)
        gauges = EventGauges(
            runtime.sessionmaker,
            lambda: runtime.nats,
            service=service,
            consumers=[(sub.publisher, sub.durable) for sub in subscriptions],
            namespace=settings.event_namespace,
            interval=settings.event_metrics_seconds,
        )
        runtime.tasks.append(asyncio.create_task(gauges.run(), name="event-gauges"))
        starter = asyncio.create_task(start_messaging(runtime, subscriptions), name="messaging")
        try:
            yield
        finally:
            await stop_tasks([starter, *runtime.tasks])
            if runtime.nats is not None:
                with contextlib.suppress(Exception):
                    await runtime.nats.close()
            await engine.dispose()

    return lifespan


def create_service_app(
    *,
    settings: ServiceSettings,
    title: str,
    description: str,
    routers: Sequence[APIRouter],
    subscriptions: Sequence[Subscription] = (),
    openapi_tags: list[dict[str, Any]] | None = None,
    migrate_on_start: bool = False,
    on_startup: Callable[[Any], Awaitable[None]] | None = None,
    runtime_class: RuntimeFactory = ServiceRuntime,
) -> FastAPI:
    """A service's FastAPI application. ``on_startup`` receives the service's runtime (of
    ``runtime_class``) once the database is set up, before messaging starts."""
    settings.check_event_keys([sub.publisher for sub in subscriptions])
    app = FastAPI(
        title=title,
        description=description,
        version="1.0.0",
        lifespan=_service_lifespan(
            settings,
            subscriptions,
            migrate_on_start=migrate_on_start,
            on_startup=on_startup,
            runtime_class=runtime_class,
        ),
        openapi_tags=openapi_tags,
        root_path_in_servers=False,
    )
    install_error_handlers(app)
    document_problems(app)
    app.add_middleware(RequestContextMiddleware, service=settings.service_name)
    # NATS down only delays events (they wait in the outbox): ready, degraded. An orchestrator
    # must not take every replica out of rotation because the broker is away.
    app.include_router(
        health_router(
            {"database": check_database, "nats": check_nats, "migrations": check_migrations},
            degrading=frozenset({"nats"}),
            ready_summary="Ready to serve: database and migrations; NATS down is `degraded`",
        )
    )
    for router in routers:
        app.include_router(router)
    return app
