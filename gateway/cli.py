"""Operator commands on the gateway's database (the same rules as the admin API):

    python -m gateway.cli create-api-key --role store --subject <store id> --name "till 1"
    python -m gateway.cli revoke-api-key <key id>
    python -m gateway.cli list-api-keys
    python -m gateway.cli create-user --username li.clerk --role bureau_clerk   (asks the password)
    python -m gateway.cli reset-password --username admin                      (asks the password)

The key or password is printed once, to stdout. Reads the same settings as the gateway
(``GATEWAY_DATABASE_URL``, ``EW_DATA_DIR``, ``GATEWAY_PRODUCTS_URL``…): a store or partner key
is created only once its service confirms the store or partner organisation exists.
"""

import argparse
import asyncio
import getpass
import sys
import uuid
from collections.abc import Awaitable, Callable, Sequence
from typing import Any

from pydantic import ValidationError
from sqlalchemy.ext.asyncio import AsyncSession

from gateway import repository, service
from gateway.config import GatewaySettings, get_settings
from gateway.models import ApiKeyCreate, UserCreate, UserUpdate
from gateway.proxy import http_session
from gateway.subjects import check_subject
from shared.db import make_engine, make_sessionmaker
from shared.errors import AppError
from shared.identity import ROLES, STAFF_ROLES, Identity, sign_identity

OPERATOR = "operator:cli"


async def _in_transaction(
    settings: GatewaySettings, work: Callable[[AsyncSession], Awaitable[Any]]
) -> Any:
    engine = make_engine(settings.database_url)
    try:
        async with make_sessionmaker(engine)() as session:
            result = await work(session)
            await session.commit()
            return result
    finally:
        await engine.dispose()


async def _check_subject(settings: GatewaySettings, data: ApiKeyCreate) -> None:
    """The store or partner organisation must exist: asked of its service, as the admin API
    does (so the CLI needs the services reachable, like the gateway)."""
    operator = Identity(principal_id=OPERATOR, kind="user", role="admin", name=OPERATOR)
    token = sign_identity(operator, settings.identity_secret.get_secret_value())
    async with http_session(
        1, settings.upstream_connect_timeout_seconds, settings.upstream_read_timeout_seconds
    ) as http:
        await check_subject(http, settings.upstreams(), token, data.role, data.subject_id)


def _password(given: str | None) -> str:
    if given:
        return given
    first = getpass.getpass("Password (at least 12 characters): ")
    if getpass.getpass("Again: ") != first:
        raise SystemExit("The two passwords differ.")
    return first


async def create_api_key(args: argparse.Namespace, settings: GatewaySettings) -> int:
    data = ApiKeyCreate(name=args.name, role=args.role, subject_id=args.subject)
    await _check_subject(settings, data)
    row, key = await _in_transaction(
        settings, lambda s: service.create_api_key(s, data, created_by=OPERATOR)
    )
    print(
        f"API key {row.id} (prefix {row.prefix}, role {row.role}"
        f"{', subject ' + str(row.subject_id) if row.subject_id else ''}):"
    )
    print(key)
    print("Shown only this once: the platform keeps only its hash.", file=sys.stderr)
    return 0


async def revoke_api_key(args: argparse.Namespace, settings: GatewaySettings) -> int:
    async def revoke(session: AsyncSession) -> bool:
        row = await repository.get_api_key(session, args.key_id)
        if row is None:
            return False
        await service.revoke_api_key(session, row, revoked_by=OPERATOR)
        return True

    if not await _in_transaction(settings, revoke):
        print(f"No API key with id {args.key_id}.", file=sys.stderr)
        return 1
    print(f"Revoked {args.key_id}.")
    return 0


async def list_api_keys(args: argparse.Namespace, settings: GatewaySettings) -> int:
    async def listing(session: AsyncSession) -> list[Any]:
        keys, _ = await repository.list_api_keys(session, cursor=None, limit=10_000, filters={})
        return keys

    for row in await _in_transaction(settings, listing):
        state = f"revoked {row.revoked_at:%Y-%m-%d}" if row.revoked_at else "active"
        print(
            f"{row.id}  ew_{row.prefix}_…  {row.role:<16} {row.subject_id or '-'}  "
            f"{state}  {row.name}"
        )
    return 0


async def create_user(args: argparse.Namespace, settings: GatewaySettings) -> int:
    user_data = UserCreate(
        username=args.username,
        role=args.role,
        display_name=args.display_name or "",
        password=_password(args.password),
    )
    user = await _in_transaction(settings, lambda s: service.create_user(s, user_data))
    print(f"User {user.username} ({user.role}) created: {user.id}")
    return 0


async def reset_password(args: argparse.Namespace, settings: GatewaySettings) -> int:
    update = UserUpdate(password=_password(args.password))

    async def reset(session: AsyncSession) -> bool:
        user = await repository.get_user_by_username(session, args.username)
        if user is None:
            return False
        await service.update_user(session, user, update, actor_user_id=None)
        return True

    if not await _in_transaction(settings, reset):
        print(f"No user named {args.username}.", file=sys.stderr)
        return 1
    print(f"Password of {args.username} changed.")
    return 0


COMMANDS: dict[str, Callable[[argparse.Namespace, GatewaySettings], Awaitable[int]]] = {
    "create-api-key": create_api_key,
    "revoke-api-key": revoke_api_key,
    "list-api-keys": list_api_keys,
    "create-user": create_user,
    "reset-password": reset_password,
}


async def run(args: argparse.Namespace, settings: GatewaySettings) -> int:
    """Run the command named on the command line; its exit status."""
    return await COMMANDS[args.command](args, settings)


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="python -m gateway.cli",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    sub = p.add_subparsers(dest="command", required=True)
    key = sub.add_parser("create-api-key", help="create an API key and print it once")
    key.add_argument("--role", required=True, choices=ROLES)
    key.add_argument(
        "--subject",
        type=uuid.UUID,
        default=None,
        help="store id (role store) or partner organisation id (role partner)",
    )
    key.add_argument("--name", required=True, help="what the key is for")
    revoke = sub.add_parser("revoke-api-key", help="revoke an API key by id")
    revoke.add_argument("key_id", type=uuid.UUID)
    sub.add_parser("list-api-keys", help="list API keys (prefixes only)")
    user = sub.add_parser("create-user", help="create a staff user")
    user.add_argument("--username", required=True)
    user.add_argument("--role", required=True, choices=STAFF_ROLES)
    user.add_argument("--display-name", default="")
    user.add_argument("--password", help="omit to be asked (keeps it out of shell history)")
    reset = sub.add_parser("reset-password", help="set a staff user's password")
    reset.add_argument("--username", required=True)
    reset.add_argument("--password", help="omit to be asked")
    return p


def main(argv: Sequence[str] | None = None, settings: GatewaySettings | None = None) -> int:
    args = parser().parse_args(argv)
    try:
        return asyncio.run(run(args, settings or get_settings()))
    except ValidationError as exc:
        for error in exc.errors():
            field = ".".join(str(p) for p in error["loc"]) or "input"
            print(f"{field}: {error['msg']}", file=sys.stderr)
        return 2
    except AppError as exc:
        print(exc.detail, file=sys.stderr)
        return 1


if __name__ == "__main__":
    raise SystemExit(main())
