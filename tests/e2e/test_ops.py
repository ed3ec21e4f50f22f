"""``python -m deploy.ops`` as an operator runs it (a process of its own, settings from the
environment): each subcommand's happy path and one failure, and the documented exit codes."""

import asyncio
import os
import sys
from pathlib import Path
from typing import Any

from tests.support.apps import TEST_AUDIT_KEY, TEST_IDENTITY_SECRET, TEST_PII_KEY

ROOT = Path(__file__).resolve().parents[2]
DEAD_DB = "postgresql+asyncpg://nobody@127.0.0.1:1/none"


async def ops(*argv: str, **env: str) -> tuple[int, str, str]:
    proc = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "deploy.ops",
        *argv,
        cwd=ROOT,
        env=os.environ
        | {"EW_ENV": "test", "EW_IDENTITY_SECRET": TEST_IDENTITY_SECRET, "EW_PII_KEY": TEST_PII_KEY}
        | env,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    out, err = await proc.communicate()
    return proc.returncode or 0, out.decode(), err.decode()


def dbs(databases: Any) -> dict[str, str]:
    return {
        "GATEWAY_DATABASE_URL": databases.url("gateway"),
        "JOBS_DATABASE_URL": databases.url("jobs"),
        "PRODUCTS_DATABASE_URL": databases.url("products"),
        "SUBSIDIES_DATABASE_URL": databases.url("subsidies"),
        "SUBSIDIES_AUDIT_KEY": TEST_AUDIT_KEY,
    }


async def test_help_and_usage_errors() -> None:
    status, out, _ = await ops("--help")
    assert status == 0 and "Exit codes" in out
    for sub in ("user", "key", "audit", "backlog", "republish", "migrate"):
        status, out, _ = await ops(sub, "--help")
        assert status == 0 and "usage:" in out, sub
    assert (await ops("bogus"))[0] == 2
    assert (await ops("republish", "nowhere"))[0] == 2


async def test_user_and_key(databases: Any, namespace: str) -> None:
    env = dbs(databases)
    status, out, err = await ops(
        "user", "create", "--username", "clerk1", "--role", "bureau_clerk",
        "--password", "a-long-enough-password", **env,
    )  # fmt: skip
    assert status == 0, err
    status, _, err = await ops(
        "user", "create", "--username", "clerk1", "--role", "bureau_clerk",
        "--password", "a-long-enough-password", **env,
    )  # fmt: skip
    assert status == 1, err  # the username is taken
    status, out, err = await ops("key", "create", "--role", "auditor", "--name", "robot", **env)
    assert status == 0, err
    assert "ew_" in out
    status, out, err = await ops("key", "list", **env)
    assert status == 0 and "robot" in out, err
    status, _, err = await ops("key", "revoke", "00000000-0000-4000-8000-000000000000", **env)
    assert status == 1, err  # no such key
    status, _, err = await ops("key", "list", GATEWAY_DATABASE_URL=DEAD_DB)
    assert status == 3, err


async def test_backlog_republish_and_migrate(databases: Any, namespace: str) -> None:
    env = dbs(databases)
    status, out, err = await ops("backlog", **env)
    assert status == 0, err
    assert out.splitlines()[0] == "service\tpending\toldest_seconds"
    assert {line.split("\t")[0] for line in out.splitlines()[1:]} == {
        "jobs",
        "products",
        "subsidies",
    }
    assert "backlog [" in err  # the progress bar, on standard error
    status, out, err = await ops("backlog", "jobs", **(env | {"JOBS_DATABASE_URL": DEAD_DB}))
    assert status == 3, err
    status, out, err = await ops("republish", "products", "--since-seq", "0", **env)
    assert status == 0 and "0 event(s) of products" in out, err
    status, out, err = await ops("republish", "products", PRODUCTS_DATABASE_URL=DEAD_DB)
    assert status == 3, err
    owners = {f"{p.upper()}_MIGRATION_DATABASE_URL": databases.owner_url(p) for p in
              ("gateway", "jobs", "products", "subsidies")}  # fmt: skip
    status, out, err = await ops("migrate", "all", "upgrade", **env, **owners)
    assert status == 0, err
    assert "migrate [" in err and "4/4" in err
    assert (await ops("migrate", "all", "check", **env))[0] == 2
    status, _, err = await ops("migrate", "gateway", "upgrade", GATEWAY_DATABASE_URL=DEAD_DB)
    assert status == 3, err
