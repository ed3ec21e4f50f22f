"""What a running process holds, typed: settings, database, vault, clock, messaging.

The process's lifespan builds one runtime object and keeps it as ``app.state.runtime``; nothing
else is kept on ``app.state``. Routes reach it through the dependencies below (:data:`Now`,
:data:`Today`, :data:`VaultDep`, or the service's own ``Runtime`` annotation), never through
``request.app.state`` attributes, so every use is checked by the type checker.

The clock is the one place the time comes from: tests replace ``runtime.clock`` to move time
(end a notice period, pass a posting's closing date); services take ``now``/``today`` as
parameters and never read the system time themselves.
"""

import asyncio
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta, timezone
from typing import TYPE_CHECKING, Annotated, Any, Generic, TypeVar

from fastapi import Depends, Request
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from shared.db import utcnow
from shared.pii import PiiVault
from shared.settings import ServiceSettings

if TYPE_CHECKING:
    from nats.aio.client import Client as NATS

    from shared.events.consumer import ConsumerRunner
    from shared.events.relay import OutboxRelay

S = TypeVar("S", bound=ServiceSettings)


@dataclass(eq=False)
class Runtime:
    """What every process with a database has (the services and the gateway)."""

    engine: AsyncEngine
    sessionmaker: async_sessionmaker[AsyncSession]
    head_revision: str | None
    # Every revision this version's migrations know (empty: only the head is known).
    known_revisions: frozenset[str] = frozenset()
    clock: Callable[[], datetime] = utcnow
    utc_offset_hours: int = 8  # Weng'an and Haizhu: China Standard Time, no daylight saving
    nats: "NATS | None" = None
    relay: "OutboxRelay | None" = None

    def now(self) -> datetime:
        return self.clock()

    def today(self) -> date:
        """Today's date where the program runs (a placement's month, a posting's closing day)."""
        return self.clock().astimezone(timezone(timedelta(hours=self.utc_offset_hours))).date()

    def wake_relay(self) -> None:
        """Have the outbox relay publish now what the last commit wrote (no-op without one)."""
        if self.relay is not None:
            self.relay.wake()


@dataclass(eq=False)
class ServiceRuntime(Runtime, Generic[S]):
    """A service's runtime; a service needing more (subsidies' audit anchorer) subclasses it."""

    settings: S = field(kw_only=True)
    vault: PiiVault = field(kw_only=True)
    consumers: "ConsumerRunner | None" = None
    tasks: list[asyncio.Task[Any]] = field(default_factory=list)
    messaging_ready: asyncio.Event = field(default_factory=asyncio.Event)


def runtime_of(request: Request) -> Runtime:
    runtime: Runtime = request.app.state.runtime
    return runtime


def service_runtime(request: Request) -> ServiceRuntime[Any]:
    runtime = runtime_of(request)
    assert isinstance(runtime, ServiceRuntime)
    return runtime


async def current_time(request: Request) -> datetime:
    """The request's time, read once from the runtime's clock."""
    return runtime_of(request).now()


async def current_date(request: Request) -> date:
    """Today in Weng'an and Haizhu, from the runtime's clock."""
    return runtime_of(request).today()


async def current_vault(request: Request) -> PiiVault:
    return service_runtime(request).vault


Now = Annotated[datetime, Depends(current_time)]
Today = Annotated[date, Depends(current_date)]
VaultDep = Annotated[PiiVault, Depends(current_vault)]
