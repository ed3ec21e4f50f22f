"""Factories for the products tests: plain async functions with keyword overrides, calling the
service's API as the role that would; and the rollups' sums, read from the database."""

import itertools
import uuid
from typing import Any

from sqlalchemy import select

from services.products.statistics.tables import DailyRollup, MonthlyRollup
from tests.support.apps import RunningService, identity_headers

_seq = itertools.count(1)


def admin() -> dict[str, str]:
    return identity_headers("admin")


def as_store(store_id: str) -> dict[str, str]:
    return identity_headers("store", store_id)


async def create_supplier(svc: RunningService, **overrides: Any) -> dict[str, Any]:
    body = {
        "name": f"Weng'an Cooperative {next(_seq)}",
        "kind": "cooperative",
        "township": "Houchang",
        "poor_households_linked": 40,
    } | overrides
    r = await svc.client.post("/v1/products/suppliers", json=body, headers=admin())
    assert r.status_code == 201, r.text
    return r.json()


async def create_product(
    svc: RunningService, *, supplier_id: str | None = None, **overrides: Any
) -> dict[str, Any]:
    if supplier_id is None:
        supplier_id = (await create_supplier(svc))["id"]
    n = next(_seq)
    body = {
        "sku": f"WA-{n:05d}",
        "name": f"Weng'an product {n}",
        "category": "tea",
        "supplier_id": supplier_id,
        "unit": "box",
        "net_weight_grams": 250,
        "certification_number": f"XFBF-{n:04d}",
        "list_price_fen": 16800,
    } | overrides
    r = await svc.client.post("/v1/products/catalogue", json=body, headers=admin())
    assert r.status_code == 201, r.text
    return r.json()


async def create_store(svc: RunningService, **overrides: Any) -> dict[str, Any]:
    body = {
        "name": f"Flagship store {next(_seq)}",
        "kind": "flagship_store",
        "address": "Jiangnan West Road, Haizhu District",
    } | overrides
    r = await svc.client.post("/v1/products/stores", json=body, headers=admin())
    assert r.status_code == 201, r.text
    return r.json()


def sale_body(
    sku: str,
    *,
    quantity: int = 2,
    unit_price_fen: int = 16800,
    sold_at: str = "2024-03-10T04:00:00Z",
    receipt_number: str | None = None,
    **overrides: Any,
) -> dict[str, Any]:
    return {
        "receipt_number": receipt_number or f"R-{uuid.uuid4().hex[:12]}",
        "sold_at": sold_at,
        "lines": [{"sku": sku, "quantity": quantity, "unit_price_fen": unit_price_fen}],
    } | overrides


async def report_sale(
    svc: RunningService,
    store_id: str,
    body: dict[str, Any],
    *,
    key: str | None = None,
    expect: int = 201,
) -> dict[str, Any]:
    headers = as_store(store_id) | {"Idempotency-Key": key or uuid.uuid4().hex}
    r = await svc.client.post("/v1/products/stores/me/sales", json=body, headers=headers)
    assert r.status_code == expect, r.text
    return r.json()


async def correct(
    products: RunningService, store_id: str, sale_id: str, body: dict, *, key: str | None = None
) -> Any:
    return await products.client.post(
        f"/v1/products/stores/me/sales/{sale_id}/corrections",
        json=body,
        headers=as_store(store_id) | {"Idempotency-Key": key or uuid.uuid4().hex},
    )


async def close(products: RunningService, store_id: str, day: str) -> Any:
    return await products.client.post(
        f"/v1/products/stores/me/days/{day}/close", headers=as_store(store_id)
    )


async def rollup_sums(
    products: RunningService, store_id: str
) -> tuple[tuple[int, int, int], tuple[int, int, int]]:
    async with products.sessionmaker() as s:
        daily = (
            await s.scalars(select(DailyRollup).where(DailyRollup.store_id == uuid.UUID(store_id)))
        ).all()
        monthly = (
            await s.scalars(
                select(MonthlyRollup).where(MonthlyRollup.store_id == uuid.UUID(store_id))
            )
        ).all()
    return (
        (sum(r.quantity for r in daily), sum(r.grams for r in daily), sum(r.fen for r in daily)),
        (
            sum(r.quantity for r in monthly),
            sum(r.grams for r in monthly),
            sum(r.fen for r in monthly),
        ),
    )
