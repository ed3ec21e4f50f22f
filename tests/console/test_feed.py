"""The live feed's logic without a browser: what it shows of an event (no personal data), which
messages it believes, its bounded queues, logout, NATS away; and the dashboard's periods."""

import asyncio
import uuid
from datetime import UTC, date, datetime

from gateway.console.feed import QUEUE_SIZE, ActivityFeed, Item, Listener, describe
from gateway.console.i18n import load_translations
from gateway.console.routes.dashboard import bars, period_of
from shared.events.envelope import Envelope
from shared.events.signing import EventSigner, EventVerifier
from tests.support.events import EVENT_PUBLIC_KEYS, event_private_key

zh = load_translations("zh").gettext


def envelope(type_: str, source: str, **data: object) -> Envelope:
    return Envelope(
        type=type_,
        source=source,
        occurred_at=datetime(2026, 6, 1, 2, 30, tzinfo=UTC),
        data=data,
    )


def feed(namespace: str = "") -> ActivityFeed:
    return ActivityFeed(
        url="nats://127.0.0.1:9",
        user="gateway",
        password="",
        publishers=("jobs", "products", "subsidies"),
        verifier=EventVerifier(EVENT_PUBLIC_KEYS),
        namespace=namespace,
    )


def signed(env: Envelope, signer: str) -> tuple[bytes, str]:
    body = env.model_dump_json().encode()
    return body, EventSigner(event_private_key(signer)).sign(body)


class TestWhatIsShown:
    def test_a_placement_shows_the_township_and_nothing_personal(self):
        item = Item.of(
            envelope(
                "jobs.placement.started",
                "jobs",
                placement_id=str(uuid.uuid4()),
                worker_id=str(uuid.uuid4()),
                employer_id=str(uuid.uuid4()),
                employer_kind="workshop",
                township="Houchang",
                poor_household=True,
                monthly_wage_fen=180_000,
            )
        )
        assert item.fields == {"township": "Houchang", "employer_kind": "workshop"}
        shown = describe(item, zh)
        assert shown["text"] == "Houchang 一名劳动力实现就业"
        assert shown["time"] == "2026-06-01 10:30"  # China time

    def test_money_and_weight_exact(self):
        item = Item.of(
            envelope(
                "products.sale.recorded",
                "products",
                sale_id=str(uuid.uuid4()),
                receipt_number="R-1",
                total_grams=1_234_567,
                total_fen=123_456_789,
            )
        )
        assert describe(item, zh)["text"] == "销售记录：1234.567 千克，1,234,567.89 元"

    def test_an_unknown_event_is_named_by_its_type_only(self):
        item = Item.of(envelope("subsidies.batch.exported", "subsidies", secret="x"))
        assert item.fields == {}
        assert describe(item, zh)["text"] == "平台动态：subsidies.batch.exported"


class TestWhatIsBelieved:
    def test_only_the_publishers_own_signed_events(self):
        f = feed("ns1")
        listener = f.listen("session", "auditor")
        assert listener is not None
        posting = envelope(
            "jobs.posting.published", "jobs", title="缝纫工", openings=12, district="Haizhu"
        )
        body, signature = signed(posting, "jobs")
        f.accept("jobs", "ns1.jobs.posting.published", body, None)  # unsigned
        f.accept("jobs", "ns1.jobs.posting.published", *signed(posting, "products"))  # forged
        f.accept("jobs", "ns1.jobs.posting.closed", body, signature)  # another subject
        f.accept("products", "ns1.jobs.posting.published", body, signature)  # another stream
        assert listener.queue.empty()
        f.accept("jobs", "ns1.jobs.posting.published", body, signature)
        item = listener.queue.get_nowait()
        assert isinstance(item, Item)
        assert describe(item, zh)["text"] == "岗位发布：缝纫工，12 个岗位"
        assert [i.id for i in f.recent_for("auditor")] == [item.id]
        assert f.recent_for("partner") == []


class TestListeners:
    def test_a_slow_browser_loses_its_oldest_items_not_memory(self):
        listener = Listener(session_key="s", role="admin")
        for n in range(QUEUE_SIZE + 5):
            listener.offer(Item(str(n), "jobs.placement.ended", "jobs", datetime.now(UTC), {}))
        assert listener.queue.qsize() == QUEUE_SIZE
        assert listener.dropped == 5
        first = listener.queue.get_nowait()
        assert isinstance(first, Item) and first.id == "5"

    def test_a_role_sees_only_its_sources(self):
        listener = Listener(session_key="s", role="store")
        listener.offer(Item("1", "jobs.placement.ended", "jobs", datetime.now(UTC), {}))
        assert listener.queue.empty()

    async def test_logout_ends_the_sessions_streams_only(self):
        f = feed()
        mine, other = f.listen("mine", "admin"), f.listen("other", "admin")
        assert mine is not None and other is not None
        waiting = asyncio.create_task(mine.next(30))
        await asyncio.sleep(0)
        f.end_session("mine")
        assert await asyncio.wait_for(waiting, 2) is None
        assert mine.ended.is_set() and not other.ended.is_set()


class TestWithoutNats:
    async def test_the_feed_waits_offline_and_stops_on_demand(self):
        f = feed()
        listener = f.listen("s", "admin")
        assert listener is not None
        task = asyncio.create_task(f.run())
        await asyncio.sleep(0.5)
        assert not f.connected and not task.done()
        assert listener.queue.empty()  # nothing to show, nothing made up
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)
        await f.close()
        assert listener.ended.is_set()


class TestPeriods:
    today = date(2026, 6, 15)

    def span(self, params: dict[str, str]) -> tuple[date | None, date | None]:
        period = period_of(params, self.today)
        return period.start, period.end

    def test_presets(self):
        assert self.span({"preset": "month"}) == (date(2026, 6, 1), self.today)
        assert self.span({"preset": "year"}) == (date(2026, 1, 1), self.today)
        assert self.span({}) == (None, None)

    def test_dates_by_hand_in_order_and_bad_ones_ignored(self):
        period = period_of({"from": "2026-07-31", "to": "2026-07-01"}, self.today)
        assert (period.start, period.end, period.preset) == (
            date(2026, 7, 1),
            date(2026, 7, 31),
            "",
        )
        assert (period.from_month, period.to_month) == ("2026-07", "2026-07")
        assert period_of({"from": "2026-13-01"}, self.today).preset == "all"

    def test_bars_in_integer_percent_of_the_largest(self):
        rows = [{"fen": 300}, {"fen": 100}, {"fen": 1}, {"fen": 0}]
        assert [b["width"] for b in bars(rows, lambda r: "", "fen")] == [100, 33, 1, 0]
