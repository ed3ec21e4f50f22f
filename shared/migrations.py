"""Alembic, once for all services: each service keeps its own history in ``<service>/migrations``.

A process is named here by its package (``services.jobs``, ``gateway``): its migrations are in
``<package>/migrations`` and its settings in ``<package>/config.py``. Which processes there are
is the composition root's business (deploy/topology.py): ``python -m deploy.migrate jobs
upgrade`` migrates one service; ``… jobs revision -m "slug"`` autogenerates a revision from the
service's metadata; ``… jobs check`` fails when the models and the migrations disagree; ``… all
upgrade`` migrates every process. Migration files are named by date and slug.

Database roles (PostgreSQL): migrations run as the role of ``<SERVICE>_MIGRATION_DATABASE_URL``,
which owns the tables; the service runs as the role of ``<SERVICE>_DATABASE_URL``. When the two
differ, every upgrade ends by granting the service's role what it needs and no more (see
:func:`grant_app_role`): it cannot ALTER or TRUNCATE tables, control triggers, write the migration
version, or UPDATE/DELETE an append-only table (``info={"append_only": True}``, e.g. the audit
trail). Without a migration URL both are the service's URL (one role; SQLite has no roles).
"""

import argparse
import asyncio
import importlib
import importlib.util
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from alembic import command, context
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import MetaData, make_url, pool, text
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine

from shared.db import sqlite_transactions

ROOT = Path(__file__).resolve().parent.parent


def migrations_dir(package: str) -> Path:
    """``<package>/migrations``, e.g. ``services/jobs/migrations`` for ``services.jobs``."""
    spec = importlib.util.find_spec(package)
    if spec is None or not spec.submodule_search_locations:
        raise ValueError(f"no package {package!r}")
    return Path(next(iter(spec.submodule_search_locations))) / "migrations"


def alembic_config(package: str, url: str) -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(migrations_dir(package)))
    cfg.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    cfg.set_main_option("file_template", "%%(year)d%%(month).2d%%(day).2d_%%(slug)s")
    cfg.set_main_option("version_path_separator", "os")
    return cfg


def head_revision(package: str) -> str | None:
    script = ScriptDirectory.from_config(alembic_config(package, "sqlite://"))
    return script.get_current_head()


def known_revisions(package: str) -> frozenset[str]:
    """Every revision of the process's migrations: a database at a revision not among them was
    migrated by a newer version of the process (see shared.observability.check_migrations)."""
    script = ScriptDirectory.from_config(alembic_config(package, "sqlite://"))
    return frozenset(revision.revision for revision in script.walk_revisions())


def grant_app_role(connection: Connection, metadata: MetaData, role: str) -> None:
    """What the service's role may do on tables the migration role owns: read and write rows,
    append only to append-only tables, use sequences. Owning nothing, it can neither ALTER,
    TRUNCATE nor disable triggers. Run after every upgrade, so new tables are covered."""
    if connection.dialect.name != "postgresql":
        return
    quoted = connection.dialect.identifier_preparer.quote(role)
    statements = [
        f"GRANT USAGE ON SCHEMA public TO {quoted}",
        f"GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO {quoted}",
        f"GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA public TO {quoted}",
        f"REVOKE INSERT, UPDATE, DELETE, TRUNCATE ON alembic_version FROM {quoted}",
    ]
    for table in metadata.sorted_tables:
        if table.info.get("append_only"):
            name = connection.dialect.identifier_preparer.quote(table.name)
            statements.append(f"REVOKE UPDATE, DELETE, TRUNCATE ON {name} FROM {quoted}")
    for statement in statements:
        connection.execute(text(statement))


def _do_run(connection: Connection, metadata: MetaData) -> None:
    context.configure(
        connection=connection,
        target_metadata=metadata,
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
    )
    app_role = context.config.attributes.get("app_role")
    with context.begin_transaction():
        context.run_migrations()
        if app_role:
            grant_app_role(connection, metadata, app_role)


def run_env(metadata: MetaData) -> None:
    """Body of every service's ``env.py``."""
    config = context.config
    connection = config.attributes.get("connection")
    if connection is not None:
        _do_run(connection, metadata)
        return
    url = config.get_main_option("sqlalchemy.url")
    assert url
    # ``alembic`` run by hand: the configuration names the role to grant to, if any.
    config.attributes.setdefault("app_role", config.get_main_option("app_role"))

    async def run() -> None:
        engine = create_async_engine(url, poolclass=pool.NullPool)
        if engine.dialect.name == "sqlite":
            sqlite_transactions(engine)  # all of an upgrade commits, or none of it
        async with engine.connect() as conn:
            await conn.run_sync(_do_run, metadata)
            await conn.commit()
        await engine.dispose()

    asyncio.run(run())


async def upgrade_to_head(
    engine: AsyncEngine, package: str, *, app_role: str | None = None
) -> None:
    """Migrate with ``engine`` (the owner's), then grant ``app_role`` its privileges."""
    cfg = alembic_config(package, engine.url.render_as_string(hide_password=False))

    def upgrade(conn: Connection) -> None:
        cfg.attributes["connection"] = conn
        cfg.attributes["app_role"] = app_role
        command.upgrade(cfg, "head")

    async with engine.begin() as conn:
        await conn.run_sync(upgrade)


async def current_revision(engine: AsyncEngine) -> str | None:
    def read(conn: Connection) -> Any:
        return MigrationContext.configure(conn).get_current_revision()

    async with engine.connect() as conn:
        return await conn.run_sync(read)


def main(processes: Mapping[str, str], argv: Sequence[str] | None = None) -> None:
    """The command line of the composition root; ``processes``: name → package."""
    parser = argparse.ArgumentParser(description="Migrations of one process")
    parser.add_argument("service", choices=[*sorted(processes), "all"])
    parser.add_argument("action", choices=["upgrade", "revision", "check", "current"])
    parser.add_argument("-m", "--message", default="change")
    args = parser.parse_args(argv)
    if args.service == "all":
        if args.action != "upgrade":
            parser.error("'all' only goes with 'upgrade'")
        for service, package in processes.items():
            upgrade_service(package)
            print(f"migrated {service}", flush=True)
        return
    package = processes[args.service]
    if args.action == "upgrade":
        upgrade_service(package)
        return
    cfg = migration_config(package)
    if args.action == "revision":
        command.revision(cfg, message=args.message, autogenerate=True)
    elif args.action == "check":
        command.check(cfg)
    else:
        command.current(cfg)


def load_settings(package: str) -> Any:
    """The settings of one process (a service or the gateway), from its environment."""
    settings = importlib.import_module(f"{package}.config").get_settings()
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    return settings


def migration_config(package: str) -> Config:
    """Alembic's configuration as the migration role, naming the service's role to grant to."""
    settings = load_settings(package)
    url = settings.migration_database_url or settings.database_url
    cfg = alembic_config(package, url)
    app_user = make_url(settings.database_url).username
    if app_user and app_user != make_url(url).username:
        cfg.attributes["app_role"] = app_user
    return cfg


def upgrade_service(package: str) -> None:
    command.upgrade(migration_config(package), "head")
