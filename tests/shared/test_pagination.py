"""keyset_page, the one way every list pages, on PostgreSQL and on SQLite: both orders, ties in
time broken by id, ``limit + 1`` end detection, and a cursor from elsewhere answered 422."""

import base64
import json
import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import String, select
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from shared.db import UTCDateTime, make_sessionmaker
from shared.errors import PROBLEM_JSON, Unprocessable, install_error_handlers
from shared.pagination import BAD_CURSOR, Cursor, Keyset, Limit, encode_cursor, keyset_page

T0 = datetime(2026, 3, 1, 8, 0, tzinfo=UTC)


class Base(DeclarativeBase):
    pass


class Item(Base):
    """A list of this test's own, in a temporary table (the connection's alone)."""

    __tablename__ = "kit_page_items"
    __table_args__ = {"prefixes": ["TEMPORARY"]}  # noqa: RUF012 - SQLAlchemy's own attribute
    id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    name: Mapped[str] = mapped_column(String(20))


OLDEST_FIRST = Keyset(Item.created_at, Item.id)
NEWEST_FIRST = Keyset(Item.created_at, Item.id, newest_first=True)


@pytest.fixture
async def session(engine: AsyncEngine) -> AsyncIterator[AsyncSession]:
    """One session (one connection) holding the temporary table for the test."""
    async with make_sessionmaker(engine)() as s:
        connection = await s.connection()
        await connection.run_sync(Base.metadata.create_all)
        yield s
        await s.rollback()


async def add_items(session: AsyncSession, minutes: list[int]) -> list[Item]:
    """Items created ``minutes`` after T0 (equal minutes: equal times), in the order given."""
    items = [
        Item(id=uuid.uuid4(), created_at=T0 + timedelta(minutes=m), name=f"item {n}")
        for n, m in enumerate(minutes)
    ]
    session.add_all(items)
    await session.flush()
    return items


def in_order(items: list[Item], order: Keyset) -> list[uuid.UUID]:
    ids = [i.id for i in sorted(items, key=lambda i: (i.created_at, i.id))]
    return ids[::-1] if order.newest_first else ids


async def walk(
    session: AsyncSession, order: Keyset, limit: int, **options: Any
) -> list[tuple[list[Any], str | None]]:
    """Every page of the list, following the cursors to the end."""
    pages, cursor = [], None
    while True:
        items, cursor = await keyset_page(
            session, select(Item), order, limit=limit, cursor=cursor, **options
        )
        pages.append((items, cursor))
        if cursor is None:
            return pages
        assert len(pages) < 100, "the cursors never end"


class TestOrder:
    async def test_oldest_first(self, session):
        items = await add_items(session, [3, 1, 4, 2, 0])
        pages = await walk(session, OLDEST_FIRST, limit=2)
        assert [[i.name for i in page] for page, _ in pages] == [
            ["item 4", "item 1"],
            ["item 3", "item 0"],
            ["item 2"],
        ]
        assert [i.id for page, _ in pages for i in page] == in_order(items, OLDEST_FIRST)

    async def test_newest_first(self, session):
        await add_items(session, [3, 1, 4, 2, 0])
        pages = await walk(session, NEWEST_FIRST, limit=2)
        assert [[i.name for i in page] for page, _ in pages] == [
            ["item 2", "item 0"],
            ["item 3", "item 1"],
            ["item 4"],
        ]

    @pytest.mark.parametrize("order", [OLDEST_FIRST, NEWEST_FIRST], ids=["oldest", "newest"])
    async def test_equal_times_are_ordered_by_id_and_none_is_lost(self, session, order):
        items = await add_items(session, [0] * 5 + [1] * 2)
        pages = await walk(session, order, limit=2)
        assert [i.id for page, _ in pages for i in page] == in_order(items, order)


class TestEnd:
    async def test_a_last_page_exactly_limit_long_has_no_next_cursor(self, session):
        await add_items(session, [0, 1, 2, 3])
        pages = await walk(session, OLDEST_FIRST, limit=2)
        assert [len(page) for page, _ in pages] == [2, 2]
        assert pages[-1][1] is None

    async def test_one_full_page_has_no_next_cursor(self, session):
        await add_items(session, [0, 1])
        items, cursor = await keyset_page(session, select(Item), OLDEST_FIRST, limit=2, cursor=None)
        assert (len(items), cursor) == (2, None)

    async def test_an_empty_list_is_one_empty_page(self, session):
        assert await keyset_page(session, select(Item), OLDEST_FIRST, limit=5, cursor=None) == (
            [],
            None,
        )

    @pytest.mark.parametrize("order", [OLDEST_FIRST, NEWEST_FIRST], ids=["oldest", "newest"])
    async def test_walking_all_pages_returns_every_row_once(self, session, order):
        items = await add_items(session, [5, 0, 0, 3, 3, 3, 1, 7, 7, 2, 0])
        for limit in range(1, len(items) + 2):
            pages = await walk(session, order, limit=limit)
            assert [i.id for page, _ in pages for i in page] == in_order(items, order), limit
            assert all(len(page) == limit for page, _ in pages[:-1])
            assert len(pages) == max(1, -(-len(items) // limit))  # no empty page at the end

    async def test_a_filtered_query_pages_within_its_filter(self, session):
        await add_items(session, [0, 1, 2, 3, 4, 5])
        query = select(Item).where(Item.name.in_(["item 1", "item 3", "item 5"]))
        first, cursor = await keyset_page(session, query, OLDEST_FIRST, limit=2, cursor=None)
        rest, end = await keyset_page(session, query, OLDEST_FIRST, limit=2, cursor=cursor)
        assert [i.name for i in first + rest] == ["item 1", "item 3", "item 5"]
        assert end is None


class TestRows:
    async def test_rows_are_returned_whole_and_paged_by_their_entity(self, session):
        await add_items(session, [2, 0, 1])
        query = select(Item, Item.name + "!")
        first, cursor = await keyset_page(
            session, query, OLDEST_FIRST, limit=2, cursor=None, rows=True
        )
        rest, end = await keyset_page(
            session, query, OLDEST_FIRST, limit=2, cursor=cursor, rows=True
        )
        assert [(row[0].name, row[1]) for row in first + rest] == [
            ("item 1", "item 1!"),
            ("item 2", "item 2!"),
            ("item 0", "item 0!"),
        ]
        assert end is None


def raw_cursor(value: Any) -> str:
    return base64.urlsafe_b64encode(json.dumps(value).encode()).decode().rstrip("=")


FOREIGN_CURSORS = {
    "not base64": "%%%not-a-cursor%%%",
    "not json": base64.urlsafe_b64encode(b"\xff\xfe").decode(),
    "a list": raw_cursor([1, 2]),
    "no id": raw_cursor({"t": T0.isoformat()}),
    "another list's keys": raw_cursor({"created_at": T0.isoformat(), "seq": 7}),
    "an id not a UUID": raw_cursor({"t": T0.isoformat(), "id": "42"}),
    "a time not a time": raw_cursor({"t": "yesterday", "id": str(uuid.uuid4())}),
    "a time not a string": raw_cursor({"t": 1700000000, "id": str(uuid.uuid4())}),
}


class TestForeignCursor:
    @pytest.mark.parametrize("cursor", FOREIGN_CURSORS.values(), ids=FOREIGN_CURSORS.keys())
    async def test_is_refused_before_any_query(self, session, cursor):
        with pytest.raises(Unprocessable) as refused:
            await keyset_page(session, select(Item), OLDEST_FIRST, limit=2, cursor=cursor)
        assert refused.value.detail == BAD_CURSOR

    async def test_a_cursor_tampered_with_is_refused(self, session):
        await add_items(session, [0, 1, 2])
        _, cursor = await keyset_page(session, select(Item), OLDEST_FIRST, limit=1, cursor=None)
        assert cursor is not None
        with pytest.raises(Unprocessable):
            await keyset_page(session, select(Item), OLDEST_FIRST, limit=1, cursor=cursor[:-3])

    @pytest.mark.parametrize(
        "cursor",
        [
            FOREIGN_CURSORS["an id not a UUID"],
            # Well-formed but from no list of ours: a time without its zone.
            encode_cursor({"t": "2026-03-01T08:00:00", "id": str(uuid.uuid4())}),
        ],
        ids=["foreign id", "naive time"],
    )
    async def test_is_a_422_problem_saying_what_to_do(self, session, cursor):
        app = FastAPI()
        install_error_handlers(app)

        @app.get("/items")
        async def list_items(limit: Limit = 50, cursor: Cursor = None) -> dict[str, Any]:
            items, next_cursor = await keyset_page(
                session, select(Item), OLDEST_FIRST, limit=limit, cursor=cursor
            )
            return {"items": [i.name for i in items], "next_cursor": next_cursor}

        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://svc") as client:
            r = await client.get("/items", params={"cursor": cursor})
        assert r.status_code == 422
        assert r.headers["content-type"] == PROBLEM_JSON
        assert "start again" in r.json()["detail"]
