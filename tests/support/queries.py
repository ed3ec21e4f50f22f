"""Counting the SQL statements a request runs: list endpoints must run the same number of
queries whatever the page size (set-based presenters, no query per row)."""

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any

from sqlalchemy import event
from sqlalchemy.ext.asyncio import AsyncEngine


class QueryCount:
    def __init__(self) -> None:
        self.statements: list[str] = []

    @property
    def n(self) -> int:
        """Statements other than transaction control (BEGIN, SAVEPOINT, the isolation level)."""
        return sum(1 for s in self.statements if s.split(None, 1)[0].upper() in _COUNTED)


_COUNTED = {"SELECT", "INSERT", "UPDATE", "DELETE", "WITH"}


# Set in the counting test's context, so inherited by what the request runs (in the test's task
# or tasks it starts) and not by the service's background tasks (the outbox relay, the event
# gauges), which were started before and share the engine.
_counting: ContextVar[QueryCount | None] = ContextVar("counting", default=None)


@contextmanager
def count_queries(engine: AsyncEngine) -> Iterator[QueryCount]:
    """Count the statements run on ``engine`` from this context only."""
    counted = QueryCount()
    token = _counting.set(counted)

    def before(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        if _counting.get() is counted:
            counted.statements.append(statement.lstrip())

    event.listen(engine.sync_engine, "before_cursor_execute", before)
    try:
        yield counted
    finally:
        event.remove(engine.sync_engine, "before_cursor_execute", before)
        _counting.reset(token)


async def queries_of(running: Any, path: str, **kwargs: Any) -> tuple[int, Any]:
    """(statements run, response) of one GET on a running service (tests.support.apps)."""
    with count_queries(running.runtime.engine) as counted:
        response = await running.client.get(path, **kwargs)
    return counted.n, response
