"""The business day: a store's date in China time; and the one clock the routes read."""

from datetime import UTC, date, datetime, timedelta

from hypothesis import given
from hypothesis import strategies as st

from services.products.clock import business_date_of
from shared.runtime import current_time
from tests.products.factories import as_store, create_product, create_store, report_sale, sale_body
from tests.support.apps import identity_headers


class TestBusinessDate:
    @given(
        st.datetimes(
            min_value=datetime(2000, 1, 1), max_value=datetime(2100, 1, 1), timezones=st.just(UTC)
        )
    )
    def test_is_the_date_eight_hours_ahead_of_utc(self, moment):
        assert business_date_of(moment) == (moment + timedelta(hours=8)).date()

    def test_midnight(self):
        assert business_date_of(datetime(2024, 3, 10, 15, 59, 59, tzinfo=UTC)) == date(2024, 3, 10)
        assert business_date_of(datetime(2024, 3, 10, 16, 0, tzinfo=UTC)) == date(2024, 3, 11)


class TestNow:
    """Every route takes the time from the ``Now`` dependency: pin it, and a sale, a close and
    an archive all see the pinned time."""

    async def test_routes_read_the_pinned_time(self, products):
        pinned = datetime(2024, 3, 10, 4, 0, tzinfo=UTC)  # 12:00 on 2024-03-10 in China
        products.app.dependency_overrides[current_time] = lambda: pinned
        try:
            store = await create_store(products)
            product = await create_product(products)
            ahead = sale_body(product["sku"], sold_at="2024-03-10T04:02:01Z")  # skew is 120 s
            r = await report_sale(products, store["id"], ahead, expect=422)
            assert r["reason"] == "future_sale_time"
            sale = await report_sale(
                products, store["id"], sale_body(product["sku"], sold_at="2024-03-10T04:01:00Z")
            )
            assert sale["recorded_at"] == "2024-03-10T04:00:00Z"
            r = await products.client.post(
                "/v1/products/stores/me/days/2024-03-11/close", headers=as_store(store["id"])
            )
            assert r.status_code == 422, r.text
            r = await products.client.post(
                "/v1/products/stores/me/days/2024-03-10/close", headers=as_store(store["id"])
            )
            assert r.status_code == 200, r.text
            assert r.json()["closed_at"] == "2024-03-10T04:00:00Z"
            r = await products.client.post(
                f"/v1/products/catalogue/{product['id']}/archive", headers=identity_headers("admin")
            )
            assert r.json()["archived_at"] == "2024-03-10T04:00:00Z"
        finally:
            products.app.dependency_overrides.pop(current_time)
