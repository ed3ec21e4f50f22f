"""The bench's world, built through the gateway as operators would: the fault harness's world
(staff, a fund and a monthly programme, stores with API keys, a partner with an open posting,
registered-poor workers; tests/chaos/workload.py) with 7 stores, plus 20 products and the
placements whose months the event-propagation scenario confirms."""

import asyncio
import uuid
from dataclasses import dataclass, field

from shared.identity import IDENTITY_HEADER, Identity, sign_identity
from tests.chaos.workload import Client, World, setup

SKUS = [f"WA-BENCH-{i:03d}" for i in range(20)]
STORES = 7
PRICE_FEN = 1250


@dataclass
class BenchWorld:
    world: World
    store_ids: list[str]
    store_keys: list[str]  # bearer API keys, one per store
    direct: list[str]  # signed identities of the same stores, for calls straight to products
    product_ids: dict[str, str]
    placements: list[str] = field(default_factory=list)

    @property
    def admin(self) -> dict[str, str]:
        return self.world.admin

    def gateway_stores(self) -> list[list[str]]:
        return [["Authorization", f"Bearer {key}"] for key in self.store_keys]

    def direct_stores(self) -> list[list[str]]:
        return [[IDENTITY_HEADER, signed] for signed in self.direct]


async def build(client: Client, identity_secret: str, placements: int) -> BenchWorld:
    run = uuid.uuid4().hex[:6]
    world = await setup(client, run, stores=STORES, workers=placements)
    supplier = await client.setup_call(
        "POST",
        "/v1/products/suppliers",
        world.admin,
        json={
            "name": "Bench tea cooperative",
            "kind": "cooperative",
            "township": "Houchang",
            "poor_households_linked": 42,
        },
    )
    product_ids = {}
    for i, sku in enumerate(SKUS):
        product = await client.setup_call(
            "POST",
            "/v1/products/catalogue",
            world.admin,
            json={
                "sku": sku,
                "name": f"Bench product {i}",
                "category": "tea",
                "supplier_id": supplier["id"],
                "unit": "box",
                "net_weight_grams": 250,
                "list_price_fen": PRICE_FEN,
            },
        )
        product_ids[sku] = product["id"]
    store_ids = [store_id for store_id, _ in world.stores]
    keys = [headers["Authorization"].removeprefix("Bearer ") for _, headers in world.stores]
    direct = [
        sign_identity(
            Identity(principal_id=str(uuid.uuid4()), kind="api_key", role="store", subject_id=s),
            identity_secret,
            ttl_seconds=3 * 3600,
        )
        for s in store_ids
    ]
    bench = BenchWorld(world, store_ids, keys, direct, product_ids)
    bench.placements = await _hire(client, world)
    return bench


async def _hire(client: Client, world: World) -> list[str]:
    """One placement per worker, started in January so that eleven months can be confirmed."""

    async def hire(worker_id: str) -> str:
        body = await client.setup_call(
            "POST",
            "/v1/jobs/placements",
            world.partner | {"Idempotency-Key": f"hire-{worker_id}"},
            json={
                "worker_id": worker_id,
                "posting_id": world.posting_id,
                "start_date": "2026-01-05",
                "monthly_wage_fen": 520_000,
            },
        )
        return str(body["id"])

    placements = []
    for i in range(0, len(world.workers), 8):
        placements += await asyncio.gather(*(hire(w) for w in world.workers[i : i + 8]))
    return placements
