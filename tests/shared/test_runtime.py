"""The runtime's clock is the one place time comes from: Now and Today follow a replaced clock,
and Today is the date in Weng'an and Haizhu (China Standard Time, UTC+8)."""

from collections.abc import AsyncIterator
from datetime import UTC, date, datetime

import httpx
import pytest
from fastapi import FastAPI

from shared.db import make_engine, make_sessionmaker
from shared.runtime import Now, Runtime, Today


@pytest.fixture
async def app(tmp_path) -> AsyncIterator[FastAPI]:  # type: ignore[no-untyped-def]
    engine = make_engine(f"sqlite+aiosqlite:///{tmp_path / 'clock.db'}")
    application = FastAPI()
    application.state.runtime = Runtime(
        engine=engine, sessionmaker=make_sessionmaker(engine), head_revision=None
    )

    @application.get("/clock")
    async def clock(now: Now, today: Today) -> dict[str, str]:
        return {"now": now.isoformat(), "today": today.isoformat()}

    yield application
    await engine.dispose()


async def read_clock(app: FastAPI, at: datetime) -> dict[str, str]:
    app.state.runtime.clock = lambda: at
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://svc") as client:
        return (await client.get("/clock")).json()  # type: ignore[no-any-return]


class TestClock:
    async def test_now_follows_a_replaced_clock(self, app):
        first = datetime(2026, 3, 1, 8, 0, tzinfo=UTC)
        later = datetime(2026, 9, 1, 8, 0, tzinfo=UTC)
        assert (await read_clock(app, first))["now"] == first.isoformat()
        assert (await read_clock(app, later))["now"] == later.isoformat()

    @pytest.mark.parametrize(
        ("at", "today"),
        [
            (datetime(2026, 6, 30, 15, 59, tzinfo=UTC), date(2026, 6, 30)),
            (datetime(2026, 6, 30, 16, 0, tzinfo=UTC), date(2026, 7, 1)),  # midnight in China
            (datetime(2026, 6, 30, 17, 0, tzinfo=UTC), date(2026, 7, 1)),
            (datetime(2026, 12, 31, 20, 0, tzinfo=UTC), date(2027, 1, 1)),  # a new year too
        ],
    )
    async def test_today_is_the_china_date(self, app, at, today):
        assert (await read_clock(app, at))["today"] == today.isoformat()

    def test_the_runtime_itself_agrees(self):
        runtime = Runtime(
            engine=None,  # type: ignore[arg-type]
            sessionmaker=None,  # type: ignore[arg-type]
            head_revision=None,
            clock=lambda: datetime(2026, 6, 30, 17, 0, tzinfo=UTC),
        )
        assert (runtime.now(), runtime.today()) == (
            datetime(2026, 6, 30, 17, 0, tzinfo=UTC),
            date(2026, 7, 1),
        )
