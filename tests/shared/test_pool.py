"""The pool checks a connection before lending it out (one round trip, shared.db.ping_on_checkout):
a connection the server has dropped (PostgreSQL restarted, an idle connection killed) is replaced
at checkout, so the request that borrows it never sees the dead one."""

import pytest
from sqlalchemy import text

from shared.db import make_engine
from tests.support.sqlite import service_engine


@pytest.fixture
async def pg_engine(databases, tmp_path):  # type: ignore[no-untyped-def]
    async with service_engine("postgresql", "products", databases, tmp_path) as engine:
        yield engine


class TestCheckoutPing:
    async def test_a_connection_killed_by_the_server_is_replaced_at_checkout(
        self, pg_engine, databases
    ):
        async with pg_engine.connect() as conn:
            first = await conn.scalar(text("SELECT pg_backend_pid()"))
        assert pg_engine.pool.checkedin() == 1  # back in the pool, idle
        killer = make_engine(databases.url("products"))
        try:
            async with killer.connect() as conn:
                killed = await conn.scalar(text("SELECT pg_terminate_backend(:p)"), {"p": first})
            assert killed
        finally:
            await killer.dispose()
        async with pg_engine.connect() as conn:  # no error: the dead one was dropped
            second = await conn.scalar(text("SELECT pg_backend_pid()"))
            assert await conn.scalar(text("SELECT 1")) == 1
        assert second != first

    async def test_a_live_connection_is_lent_again(self, pg_engine):
        async with pg_engine.connect() as conn:
            first = await conn.scalar(text("SELECT pg_backend_pid()"))
        async with pg_engine.connect() as conn:
            assert await conn.scalar(text("SELECT pg_backend_pid()")) == first

    async def test_a_connection_left_inside_a_transaction_is_not_lent(self, pg_engine):
        # As after a request cancelled while its BEGIN was on the wire: the server holds the
        # connection in a transaction the pool's reset never knew of.
        async with pg_engine.connect() as conn:
            first = await conn.scalar(text("SELECT pg_backend_pid()"))
            await conn.commit()
            raw = await conn.get_raw_connection()
            await raw.driver_connection.execute("BEGIN")
        async with pg_engine.connect() as conn:
            second = await conn.scalar(text("SELECT pg_backend_pid()"))
            assert await conn.scalar(text("SELECT 1")) == 1
        assert second != first
