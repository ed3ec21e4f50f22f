"""Every query of the gateway. Functions take the session first and never commit."""

import uuid
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from gateway.models import ApiKey, User
from shared.pagination import Keyset, keyset_page


async def count_users(session: AsyncSession) -> int:
    return int((await session.execute(select(func.count()).select_from(User))).scalar_one())


async def get_user(session: AsyncSession, user_id: uuid.UUID) -> User | None:
    return await session.get(User, user_id)


async def get_user_by_username(session: AsyncSession, username: str) -> User | None:
    result = await session.execute(select(User).where(User.username == username))  # type: ignore[arg-type]
    return result.scalar_one_or_none()


USERS = Keyset(User.created_at, User.id)
API_KEYS = Keyset(ApiKey.created_at, ApiKey.id)


async def list_users(
    session: AsyncSession, *, cursor: str | None, limit: int
) -> tuple[list[User], str | None]:
    """A page of users, oldest first, and the next page's cursor."""
    return await keyset_page(session, select(User), USERS, limit=limit, cursor=cursor)


async def get_api_key(session: AsyncSession, key_id: uuid.UUID) -> ApiKey | None:
    return await session.get(ApiKey, key_id)


async def get_api_key_by_prefix(session: AsyncSession, prefix: str) -> ApiKey | None:
    result = await session.execute(select(ApiKey).where(ApiKey.prefix == prefix))  # type: ignore[arg-type]
    return result.scalar_one_or_none()


async def active_api_key_prefixes(session: AsyncSession) -> set[str]:
    """The prefixes of every key not revoked: small (one short string per key)."""
    query = select(col(ApiKey.prefix)).where(col(ApiKey.revoked_at).is_(None))
    return set((await session.execute(query)).scalars())


async def list_api_keys(
    session: AsyncSession,
    *,
    cursor: str | None,
    limit: int,
    filters: dict[str, Any],
) -> tuple[list[ApiKey], str | None]:
    """A page of API keys, oldest first, and the next page's cursor."""
    query = select(ApiKey)
    if filters.get("role") is not None:
        query = query.where(ApiKey.role == filters["role"])
    if filters.get("subject_id") is not None:
        query = query.where(ApiKey.subject_id == filters["subject_id"])
    if filters.get("include_revoked") is False:
        query = query.where(ApiKey.revoked_at.is_(None))  # type: ignore[union-attr]
    return await keyset_page(session, query, API_KEYS, limit=limit, cursor=cursor)
