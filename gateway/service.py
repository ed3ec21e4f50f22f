"""Rules for staff users and API keys. Never commits: the request (or the CLI) does."""

import secrets
import uuid

from sqlalchemy.ext.asyncio import AsyncSession

from gateway import repository
from gateway.errors import InvalidLogin, UnknownSubject, UsernameTaken
from gateway.limits import announce
from gateway.models import (
    ApiKey,
    ApiKeyCreate,
    User,
    UserCreate,
    UserUpdate,
    check_subject,
)
from gateway.security import (
    generate_api_key,
    hash_api_key,
    hash_password,
    password_needs_rehash,
    verify_password,
)
from shared.db import utcnow
from shared.errors import Conflict

BOOTSTRAP_USERNAME = "admin"


async def create_user(session: AsyncSession, data: UserCreate) -> User:
    if await repository.get_user_by_username(session, data.username) is not None:
        raise UsernameTaken(data.username)
    user = User(
        username=data.username,
        display_name=data.display_name,
        role=data.role,
        subject_id=data.subject_id,
        password_hash=await hash_password(data.password),
    )
    session.add(user)
    await session.flush()
    return user


def binding_after(user: User, data: UserUpdate) -> tuple[str, uuid.UUID | None]:
    """The role and organisation the user will have after ``data``: a new organisation only
    with a partner or store role; a role changed without one drops the old organisation (a
    store's id is no partner's, and staff have none). Raises :class:`UnknownSubject` when the
    pair does not fit."""
    changes = data.model_dump(exclude_unset=True)
    role = changes.get("role") or user.role
    if changes.get("subject_id") is not None:
        subject = changes["subject_id"]
    elif role != user.role:
        subject = None
    else:
        subject = user.subject_id
    try:
        check_subject(role, subject)
    except ValueError as exc:
        raise UnknownSubject(str(exc)) from None
    return role, subject


async def update_user(
    session: AsyncSession, user: User, data: UserUpdate, *, actor_user_id: str | None
) -> User:
    changes = data.model_dump(exclude_unset=True)
    if str(user.id) == actor_user_id and (
        changes.get("disabled") is True or changes.get("role", "admin") != "admin"
    ):
        # An admin who locks themself out may leave nobody able to administer the platform.
        raise Conflict(
            "You cannot disable yourself or drop your own admin role; ask another admin."
        )
    user.role, user.subject_id = binding_after(user, data)
    for field in ("display_name", "disabled"):
        if changes.get(field) is not None:
            setattr(user, field, changes[field])
    if changes.get("password") is not None:
        user.password_hash = await hash_password(changes["password"])
        user.tokens_valid_after = utcnow()
    user.updated_at = utcnow()
    session.add(user)
    await session.flush()
    await announce(session, "user", user.id)
    return user


async def login(session: AsyncSession, username: str, password: str) -> User:
    user = await repository.get_user_by_username(session, username.strip().lower())
    # verify_password runs the same work for an unknown user, so timing tells nothing.
    ok = await verify_password(user.password_hash if user else None, password)
    if user is None or not ok or user.disabled:
        raise InvalidLogin()
    if password_needs_rehash(user.password_hash):
        user.password_hash = await hash_password(password)
    user.last_login_at = utcnow()
    session.add(user)
    return user


async def login_still_valid(
    session: AsyncSession, user_id: uuid.UUID, signed_in_ms: int
) -> User | None:
    """The user of a login made at ``signed_in_ms`` (epoch milliseconds: its first token's
    ``iat_ms``) if that login still stands: the user exists, is not disabled, and its password
    has not changed since (a password change ends every session begun before it). The console
    asks this before it issues a new token for a session still in use."""
    user = await repository.get_user(session, user_id)
    if user is None or user.disabled:
        return None
    after = user.tokens_valid_after
    if after is not None and signed_in_ms < int(after.timestamp() * 1000):
        return None
    return user


async def change_password(session: AsyncSession, user: User, current: str, new: str) -> None:
    if not await verify_password(user.password_hash, current):
        raise InvalidLogin()
    user.password_hash = await hash_password(new)
    user.updated_at = user.tokens_valid_after = utcnow()
    session.add(user)
    await announce(session, "user", user.id)


async def create_api_key(
    session: AsyncSession, data: ApiKeyCreate, *, created_by: str
) -> tuple[ApiKey, str]:
    """A new key bound to one role and subject; returns the row and the key, shown once."""
    for _ in range(5):  # 36^8 prefixes: a clash is rare, but the prefix must stay unique
        prefix, key = generate_api_key()
        if await repository.get_api_key_by_prefix(session, prefix) is None:
            break
    else:  # pragma: no cover - five clashes in a row would mean a broken random source
        raise Conflict("Could not allocate a unique key prefix; retry.")
    row = ApiKey(
        prefix=prefix,
        key_hash=hash_api_key(key),
        name=data.name,
        role=data.role,
        subject_id=data.subject_id,
        created_by=created_by,
    )
    session.add(row)
    await session.flush()
    await announce(session, "prefix", prefix)
    return row, key


async def revoke_api_key(session: AsyncSession, key: ApiKey, *, revoked_by: str) -> ApiKey:
    """Revoking twice keeps the first revocation's time and author."""
    if key.revoked_at is None:
        key.revoked_at = utcnow()
        key.revoked_by = revoked_by
        session.add(key)
        await session.flush()
        await announce(session, "key", key.id)
    return key


async def ensure_bootstrap_admin(session: AsyncSession, password: str | None) -> str | None:
    """On a platform with no user at all, create ``admin``. Returns the password only when it was
    generated here (the caller prints it once); None when users exist or it was given."""
    if await repository.count_users(session) > 0:
        return None
    generated = None
    if not password:
        password = generated = secrets.token_urlsafe(18)
    session.add(
        User(
            id=uuid.uuid4(),
            username=BOOTSTRAP_USERNAME,
            display_name="Administrator",
            role="admin",
            password_hash=await hash_password(password),
        )
    )
    await session.flush()
    return generated
