"""The events the service publishes, read from JetStream as a consumer would."""

import json
import uuid

import nats
import nats.js.errors
from nats.js.api import ConsumerConfig, DeliverPolicy

from services.products.events import DayClosed, SaleCorrected, SaleRecorded
from tests.products.factories import as_store, create_product, create_store, report_sale, sale_body
from tests.support.infra import connect_harness, wait_until


async def published(nats_url: str, namespace: str, count: int) -> list[dict]:
    """The first ``count`` events on this test's products stream, in order."""
    nc = await connect_harness(nats_url)
    try:
        js = nc.jetstream()
        stream = f"{namespace.upper()}_PRODUCTS"

        async def enough() -> bool:
            try:
                info = await js.stream_info(stream)
            except nats.js.errors.NotFoundError:  # the stream is created by the first publish
                return False
            return info.state.messages >= count

        await wait_until(enough, timeout=20, what=f"{count} events on {stream}")
        sub = await js.pull_subscribe(
            f"{namespace}.products.>",
            durable=None,
            stream=stream,
            config=ConsumerConfig(deliver_policy=DeliverPolicy.ALL),
        )
        msgs = await sub.fetch(count, timeout=5)
        return [json.loads(m.data) | {"subject": m.subject} for m in msgs]
    finally:
        await nc.close()


class TestPublishedEvents:
    async def test_sale_correction_and_day_close(self, products, namespace):
        store = await create_store(products)
        tea = await create_product(products, net_weight_grams=250)
        sale = await report_sale(
            products,
            store["id"],
            sale_body(tea["sku"], quantity=4, unit_price_fen=1000, receipt_number="EV-1"),
        )
        r = await products.client.post(
            f"/v1/products/stores/me/sales/{sale['id']}/corrections",
            json={
                "kind": "correction",
                "reason": "customer name Zhang San returned one",
                "lines": [{"sku": tea["sku"], "quantity": 3, "unit_price_fen": 1000}],
            },
            headers=as_store(store["id"]) | {"Idempotency-Key": uuid.uuid4().hex},
        )
        assert r.status_code == 201
        r = await products.client.post(
            "/v1/products/stores/me/days/2024-03-10/close", headers=as_store(store["id"])
        )
        assert r.status_code == 200
        events = await published(products.runtime.settings.nats_url, namespace, 3)
        recorded, corrected, closed = events
        assert recorded["subject"] == f"{namespace}.products.sale.recorded"
        assert recorded["type"] == SaleRecorded.event_type
        assert recorded["source"] == "products"
        assert recorded["version"] == 1
        assert recorded["data"] == {
            "sale_id": sale["id"],
            "store_id": store["id"],
            "receipt_number": "EV-1",
            "sold_at": "2024-03-10T04:00:00Z",
            "business_date": "2024-03-10",
            "lines": [
                {
                    "sku": tea["sku"],
                    "product_id": tea["id"],
                    "supplier_id": tea["supplier_id"],
                    "quantity": 4,
                    "unit_price_fen": 1000,
                    "grams": 1000,
                    "fen": 4000,
                }
            ],
            "total_grams": 1000,
            "total_fen": 4000,
            "batch_id": None,
        }
        SaleRecorded.model_validate(recorded["data"])
        assert corrected["type"] == SaleCorrected.event_type
        data = SaleCorrected.model_validate(corrected["data"])
        assert str(data.sale_id) == sale["id"]
        assert (data.kind, data.delta_grams, data.delta_fen) == ("correction", -250, -1000)
        assert (data.current_total_grams, data.current_total_fen) == (750, 3000)
        assert [ln.quantity for ln in data.lines] == [-1]
        assert "reason" not in corrected["data"]  # free text may hold personal data
        assert "Zhang" not in json.dumps(events)
        assert closed["type"] == DayClosed.event_type
        assert closed["data"] | {"closed_at": None} == {
            "store_id": store["id"],
            "business_date": "2024-03-10",
            "sale_count": 1,
            "total_quantity": 3,
            "total_grams": 750,
            "total_fen": 3000,
            "closed_at": None,
        }

    async def test_batch_publishes_one_event_per_sale(self, products, namespace):
        store = await create_store(products)
        tea = await create_product(products)
        body = "\n".join(
            json.dumps(sale_body(tea["sku"], receipt_number=f"B-{i}")) for i in range(25)
        )
        r = await products.client.post(
            "/v1/products/stores/me/sales:batch",
            content=body,
            headers=as_store(store["id"]) | {"content-type": "application/x-ndjson"},
        )
        batch_id = r.json()["batch_id"]
        events = await published(products.runtime.settings.nats_url, namespace, 25)
        assert {e["data"]["receipt_number"] for e in events} == {f"B-{i}" for i in range(25)}
        assert {e["data"]["batch_id"] for e in events} == {batch_id}
        assert len({e["id"] for e in events}) == 25
