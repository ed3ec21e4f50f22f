"""Every query of the gateway. Functions take the session first and never commit."""

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import func, select, tuple_
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from gateway.models import ApiKey, User


async def count_users(session: AsyncSession) -> int:
    return int((await session.execute(select(func.count()).select_from(User))).scalar_one())


async def get_user(session: AsyncSession, user_id: uuid.UUID) -> User | None:
    return await session.get(User, user_id)


async def get_user_by_username(session: AsyncSession, username: str) -> User | None:
    result = await session.execute(select(User).where(User.username == username))  # type: ignore[arg-type]
    return result.scalar_one_or_none()


async def list_users(
    session: AsyncSession, *, after: tuple[datetime, uuid.UUID] | None, limit: int
) -> list[User]:
    query = select(User).order_by(User.created_at, User.id).limit(limit)  # type: ignore[arg-type]
    if after is not None:
        query = query.where(tuple_(User.created_at, User.id) > after)
    return list((await session.execute(query)).scalars())


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
    after: tuple[datetime, uuid.UUID] | None,
    limit: int,
    filters: dict[str, Any],
) -> list[ApiKey]:
    query = select(ApiKey).order_by(ApiKey.created_at, ApiKey.id).limit(limit)  # type: ignore[arg-type]
    if after is not None:
        query = query.where(tuple_(ApiKey.created_at, ApiKey.id) > after)
    if filters.get("role") is not None:
        query = query.where(ApiKey.role == filters["role"])
    if filters.get("subject_id") is not None:
        query = query.where(ApiKey.subject_id == filters["subject_id"])
    if filters.get("include_revoked") is False:
        query = query.where(ApiKey.revoked_at.is_(None))  # type: ignore[union-attr]
    return list((await session.execute(query)).scalars())
