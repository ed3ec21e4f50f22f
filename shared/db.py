"""Database engine, sessions and column types shared by the services.

The request owns the transaction: :func:`get_session` opens one session per request, commits
when the handler returns and rolls back when it raises. Services and repositories never commit.
"""

import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Annotated, Any

from fastapi import Depends, Request
from sqlalchemy import DateTime, MetaData, event, exc
from sqlalchemy.ext.asyncio import (
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)
from sqlalchemy.orm import registry
from sqlalchemy.types import TypeDecorator

from shared.faults import fault_point

if TYPE_CHECKING:
    from shared.runtime import Runtime

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


def new_registry() -> registry:
    """A registry with its own metadata, so each service's tables and migrations stay apart."""
    return registry(metadata=MetaData(naming_convention=NAMING_CONVENTION))


def utcnow() -> datetime:
    return datetime.now(UTC)


def new_id() -> uuid.UUID:
    return uuid.uuid4()


class UTCDateTime(TypeDecorator[datetime]):
    """Timestamps stored as UTC and always returned timezone-aware (SQLite drops the zone)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given; use timezone-aware UTC datetimes")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def columns(model: Any) -> Any:
    """A table's column handles, typed loosely: mypy reads SQLModel class attributes as plain
    Python values, so ``Posting.status == ...`` in a query does not type-check."""
    return model.__table__.c


SQLITE_BEGIN = "sqlite_begin"
"""Execution option naming how a transaction begins on SQLite: ``IMMEDIATE`` (the default) or
``DEFERRED`` (read-only work, see :func:`sqlite_transactions`)."""


def sqlite_transactions(engine: AsyncEngine) -> None:
    """Make SQLite transactions as atomic as PostgreSQL's: every transaction begins with our
    own ``BEGIN``, so a savepoint is always nested inside one.

    The sqlite3 driver (and aiosqlite over it) by default begins a transaction only before
    INSERT/UPDATE/DELETE. A ``SAVEPOINT`` as the first statement then starts the transaction
    itself and its ``RELEASE`` commits: a bulk approval whose request failed later had already
    committed the items before the failure, and a worker could commit without its outbox event.
    SQLAlchemy documents the remedy (pysqlite/aiosqlite, "Serializable isolation / Savepoints /
    Transactional DDL"): turn the driver's own BEGIN off and emit BEGIN in the ``begin`` event.

    ``BEGIN IMMEDIATE`` takes the write lock at the start, waiting up to ``busy_timeout`` for
    another writer. With ``BEGIN DEFERRED`` a transaction that reads and then writes cannot
    wait: if another connection committed since its read, SQLite refuses the write at once
    ("database is locked", the 503s of bulk verify while a second clerk entered bank accounts).
    IMMEDIATE also serialises read-then-append sequences such as the audit chain. Its cost is
    that readers queue behind writers; in WAL mode a DEFERRED transaction reads beside a writer,
    so read-only requests (GET, HEAD) ask for DEFERRED through the ``sqlite_begin`` execution
    option. Measured (2 cores; 5 readers of a 100-row page beside 3 writers each holding its
    transaction 20 ms): IMMEDIATE readers p50 8 ms, p95 1.3 s, max 4.9 s (they queue in
    SQLite's busy-handler back-off); DEFERRED readers p50 15 ms, p95 64 ms, max 81 ms. A GET
    that writes (the audited re-download of a payment file) still cannot commit anything
    half-done: if another writer committed since its read, SQLite refuses its write (503,
    nothing saved) and the client retries.
    """

    @event.listens_for(engine.sync_engine, "connect")
    def _driver_begins_nothing(dbapi_conn: Any, _record: Any) -> None:
        dbapi_conn.isolation_level = None

    @event.listens_for(engine.sync_engine, "begin")
    def _begin(conn: Any) -> None:
        mode = conn.get_execution_options().get(SQLITE_BEGIN, "IMMEDIATE")
        conn.exec_driver_sql("BEGIN DEFERRED" if mode == "DEFERRED" else "BEGIN IMMEDIATE")


def make_engine(url: str, *, pool_size: int = 10) -> AsyncEngine:
    if url.startswith("sqlite"):
        engine = create_async_engine(url, connect_args={"timeout": 30}, hide_parameters=True)

        @event.listens_for(engine.sync_engine, "connect")
        def _sqlite_pragmas(dbapi_conn: Any, _record: Any) -> None:
            cur = dbapi_conn.cursor()
            cur.execute("PRAGMA journal_mode=WAL")
            cur.execute("PRAGMA synchronous=FULL")
            cur.execute("PRAGMA foreign_keys=ON")
            cur.execute("PRAGMA busy_timeout=30000")
            cur.close()

        sqlite_transactions(engine)
        return engine
    # hide_parameters: a logged SQL error must never carry the personal data it was writing.
    engine = create_async_engine(
        url,
        pool_size=pool_size,
        max_overflow=pool_size,
        pool_recycle=1800,
        hide_parameters=True,
    )
    ping_on_checkout(engine)
    return engine


def ping_on_checkout(engine: AsyncEngine) -> None:
    """Check a pooled connection before lending it out, in one round trip.

    SQLAlchemy's ``pool_pre_ping`` does the same check, but its asyncpg ping wraps the empty
    statement in ``BEGIN … ROLLBACK`` (for PgBouncer in transaction mode, which we never put
    between a service and its database: see deploy/README.md): three round trips on every
    checkout, and a sale checks out twice (its request and the relay), which cost six of its ≈26
    round trips. The empty statement alone answers the same question (is the server still
    there?). A dead connection raises ``InvalidatePoolError``, exactly what a failed pre-ping
    does: the pool drops every connection older than now and the checkout retries on a fresh
    one, so a request after a PostgreSQL restart gets a working connection (tests/chaos). A
    connection that is alive but unusable (left inside a transaction) is dropped alone."""

    @event.listens_for(engine.sync_engine.pool, "checkout")
    def _ping(dbapi_conn: Any, _record: Any, _proxy: Any) -> None:
        seen: list[Any] = []

        async def check(conn: Any) -> bool:
            seen.append(conn)
            # A connection the server still holds inside a transaction (a request cancelled
            # while its BEGIN was on the wire: the pool's reset did not know of it) is never
            # lent: SQLAlchemy's ping refused it too, by failing to BEGIN.
            if conn.is_in_transaction():
                return False
            await conn.fetchrow(";")
            return True

        try:
            usable = dbapi_conn.run_async(check)
        except Exception as error:
            if not seen or seen[0].is_closed() or isinstance(error, OSError | ConnectionError):
                # The server is gone or restarted: drop every connection older than now.
                raise exc.InvalidatePoolError(f"connection lost: {type(error).__name__}") from error
            # This connection only (another operation still in progress on it, say).
            raise exc.DisconnectionError(f"connection unusable: {type(error).__name__}") from error
        if not usable:
            raise exc.DisconnectionError("connection left inside a transaction")


def is_postgres(engine_or_session: AsyncEngine | AsyncSession) -> bool:
    if isinstance(engine_or_session, AsyncSession):
        return engine_or_session.get_bind().dialect.name == "postgresql"
    return engine_or_session.dialect.name == "postgresql"


def make_sessionmaker(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    return async_sessionmaker(engine, expire_on_commit=False, autoflush=True)


async def _request_session(request: Request) -> AsyncIterator[AsyncSession]:
    runtime: Runtime = request.app.state.runtime
    # Reads begin DEFERRED on SQLite, so they proceed beside a writer (see sqlite_transactions).
    read_only = request.method in ("GET", "HEAD")
    options = {SQLITE_BEGIN: "DEFERRED"} if read_only else {}
    async with runtime.sessionmaker(execution_options=options) as session:
        try:
            yield session
            wrote_events = bool(session.info.get("outbox_written"))
            await session.commit()
        except BaseException:
            await session.rollback()
            for undo in session.info.get("after_rollback", []):
                await undo()
            raise
        fault_point("request.after_commit")
        if wrote_events:
            runtime.wake_relay()


# scope="function": commit before the response is sent, so a 2xx means the write is durable.
SessionDep = Annotated[AsyncSession, Depends(_request_session, scope="function")]
