"""What more than one feature's repository or service still shares: LIKE patterns (workers,
postings), unique-constraint conflicts (every feature that writes) and load-by-id inside services
(routes load what their path names with :func:`shared.loader.loader`)."""

from collections.abc import Callable
from typing import Any, TypeVar

from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

T = TypeVar("T")


def like(text: str) -> str:
    escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


async def add_or_conflict(session: AsyncSession, obj: Any, conflict: Exception) -> None:
    """Add and flush inside a savepoint: a unique constraint hit (a concurrent twin of this
    request) becomes the given domain error instead of a generic 409. The object is added inside
    the savepoint so that its rollback also forgets the object."""
    try:
        async with session.begin_nested():
            session.add(obj)
            await session.flush()
    except IntegrityError:
        raise conflict from None


def found(value: T | None, missing: Callable[[Any], Exception], key: Any) -> T:
    """``value``, or the resource's not-found error for ``key`` when there is none."""
    if value is None:
        raise missing(key)
    return value
