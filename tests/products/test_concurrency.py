"""Races that PostgreSQL locks decide: sales against a day close, corrections of one sale."""

import asyncio
import uuid

from tests.products.factories import as_store, create_product, create_store, sale_body

SALES = "/v1/products/stores/me/sales"


class TestSalesRacingDayClose:
    async def test_close_counts_exactly_the_sales_it_let_in(self, products):
        store = await create_store(products)
        tea = await create_product(products, net_weight_grams=100)
        headers = as_store(store["id"])

        async def sell(i: int):
            body = sale_body(
                tea["sku"],
                quantity=1 + i % 4,
                unit_price_fen=100 + i,
                sold_at=f"2024-03-10T0{i % 10}:00:00Z",
            )
            return await products.client.post(
                SALES, json=body, headers=headers | {"Idempotency-Key": uuid.uuid4().hex}
            )

        async def close():
            # Let some sales in first; the assertions hold for any interleaving.
            await asyncio.sleep(0.01)
            return await products.client.post(
                "/v1/products/stores/me/days/2024-03-10/close", headers=headers
            )

        results = await asyncio.gather(*[sell(i) for i in range(30)], close())
        closing = results[-1]
        assert closing.status_code == 200
        accepted = [r.json() for r in results[:-1] if r.status_code == 201]
        refused = [r for r in results[:-1] if r.status_code != 201]
        assert all(
            r.status_code == 409 and r.json()["type"].endswith("day-closed") for r in refused
        )
        totals = closing.json()["closed_totals"]
        assert totals["sale_count"] == len(accepted)
        assert totals["total_fen"] == sum(s["total_fen"] for s in accepted)
        assert totals["total_grams"] == sum(s["total_grams"] for s in accepted)
        assert closing.json()["current_totals"] == totals


class TestConcurrentCorrections:
    async def test_each_correction_sees_the_other(self, products):
        store = await create_store(products)
        tea = await create_product(products, net_weight_grams=100)
        headers = as_store(store["id"])
        r = await products.client.post(
            SALES, json=sale_body(tea["sku"], quantity=10, unit_price_fen=10), headers=headers
        )
        sale_id = r.json()["id"]

        async def correct(quantity: int):
            return await products.client.post(
                f"{SALES}/{sale_id}/corrections",
                json={
                    "kind": "correction",
                    "reason": f"to {quantity}",
                    "lines": [{"sku": tea["sku"], "quantity": quantity, "unit_price_fen": 10}],
                },
                headers=headers | {"Idempotency-Key": uuid.uuid4().hex},
            )

        first, second = await asyncio.gather(correct(7), correct(5))
        assert (first.status_code, second.status_code) == (201, 201)
        detail = (await products.client.get(f"{SALES}/{sale_id}", headers=headers)).json()
        # Serialised: the net is one of the two targets, never original + both deltas.
        assert [ln["quantity"] for ln in detail["current_lines"]] in ([7], [5])
        day = (
            await products.client.get("/v1/products/stores/me/days/2024-03-10", headers=headers)
        ).json()
        assert day["current_totals"]["total_quantity"] == detail["current_lines"][0]["quantity"]
