"""Alembic, once for all services: each service keeps its own history in ``<service>/migrations``.

``python -m shared.migrations jobs upgrade`` migrates one service; ``… jobs revision -m "slug"``
autogenerates a revision from the service's metadata; ``… jobs check`` fails when the models and
the migrations disagree. Migration files are named by date and slug.
"""

import argparse
import asyncio
import importlib
from pathlib import Path
from typing import Any

from alembic import command, context
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import MetaData, pool
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine

from shared.db import sqlite_transactions

ROOT = Path(__file__).resolve().parent.parent
SERVICE_DIRS = {
    "jobs": ROOT / "services" / "jobs",
    "products": ROOT / "services" / "products",
    "subsidies": ROOT / "services" / "subsidies",
    "gateway": ROOT / "gateway",
}


def alembic_config(service: str, url: str) -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(SERVICE_DIRS[service] / "migrations"))
    cfg.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    cfg.set_main_option("file_template", "%%(year)d%%(month).2d%%(day).2d_%%(slug)s")
    cfg.set_main_option("version_path_separator", "os")
    return cfg


def head_revision(service: str) -> str | None:
    script = ScriptDirectory.from_config(alembic_config(service, "sqlite://"))
    return script.get_current_head()


def _do_run(connection: Connection, metadata: MetaData) -> None:
    context.configure(
        connection=connection,
        target_metadata=metadata,
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()


def run_env(metadata: MetaData) -> None:
    """Body of every service's ``env.py``."""
    config = context.config
    connection = config.attributes.get("connection")
    if connection is not None:
        _do_run(connection, metadata)
        return
    url = config.get_main_option("sqlalchemy.url")
    assert url

    async def run() -> None:
        engine = create_async_engine(url, poolclass=pool.NullPool)
        if engine.dialect.name == "sqlite":
            sqlite_transactions(engine)  # all of an upgrade commits, or none of it
        async with engine.connect() as conn:
            await conn.run_sync(_do_run, metadata)
            await conn.commit()
        await engine.dispose()

    asyncio.run(run())


async def upgrade_to_head(engine: AsyncEngine, service: str) -> None:
    cfg = alembic_config(service, engine.url.render_as_string(hide_password=False))

    def upgrade(conn: Connection) -> None:
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, "head")

    async with engine.begin() as conn:
        await conn.run_sync(upgrade)


async def current_revision(engine: AsyncEngine) -> str | None:
    def read(conn: Connection) -> Any:
        return MigrationContext.configure(conn).get_current_revision()

    async with engine.connect() as conn:
        return await conn.run_sync(read)  # type: ignore[no-any-return]


def main() -> None:
    parser = argparse.ArgumentParser(description="Migrations of one service")
    parser.add_argument("service", choices=[*sorted(SERVICE_DIRS), "all"])
    parser.add_argument("action", choices=["upgrade", "revision", "check", "current"])
    parser.add_argument("-m", "--message", default="change")
    args = parser.parse_args()
    if args.service == "all":
        if args.action != "upgrade":
            parser.error("'all' only goes with 'upgrade'")
        for service in SERVICE_DIRS:
            upgrade_service(service)
            print(f"migrated {service}", flush=True)
        return
    if args.action == "upgrade":
        upgrade_service(args.service)
        return
    cfg = alembic_config(args.service, load_settings(args.service).database_url)
    if args.action == "revision":
        command.revision(cfg, message=args.message, autogenerate=True)
    elif args.action == "check":
        command.check(cfg)
    else:
        command.current(cfg)


def load_settings(service: str) -> Any:
    """The settings of one process (a service or the gateway), from its environment."""
    settings_module = {"gateway": "gateway.config"}.get(service, f"services.{service}.config")
    settings = importlib.import_module(settings_module).get_settings()
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    return settings


def upgrade_service(service: str) -> None:
    command.upgrade(alembic_config(service, load_settings(service).database_url), "head")


if __name__ == "__main__":
    main()
