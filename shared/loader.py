"""Load-by-id: a route's dependency that gives the resource named in the path, or its 404.

``FundDep = Annotated[Fund, Depends(loader(funds.get_fund, FundNotFound, param="fund_id"))]``
reads ``fund_id`` from the path (a UUID unless ``annotation`` says otherwise), fetches it with
the request's session and raises ``FundNotFound(fund_id)`` when there is none."""

import inspect
import uuid
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

from sqlalchemy.ext.asyncio import AsyncSession

from shared.db import SessionDep

T = TypeVar("T")


def loader(
    fetch: Callable[[AsyncSession, Any], Awaitable[T | None]],
    missing: Callable[[Any], Exception],
    *,
    param: str,
    annotation: Any = uuid.UUID,
) -> Callable[..., Awaitable[T]]:
    async def load(session: AsyncSession, **path: Any) -> T:
        key = path[param]
        found = await fetch(session, key)
        if found is None:
            raise missing(key)
        return found

    # FastAPI reads the parameters from the signature: the path parameter and the session.
    setattr(  # noqa: B010 - a function's signature is set as an attribute
        load,
        "__signature__",
        inspect.Signature(
            [
                inspect.Parameter(param, inspect.Parameter.KEYWORD_ONLY, annotation=annotation),
                inspect.Parameter("session", inspect.Parameter.KEYWORD_ONLY, annotation=SessionDep),
            ]
        ),
    )
    load.__name__ = f"load_{param}"
    return load
