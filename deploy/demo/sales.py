"""Phase 4, consumption assistance: each selling store reports its sales through its API key —
the first ones one by one (one sent twice with the same Idempotency-Key, as a till retries),
the rest as NDJSON batches — a mistaken sale voided, a sale corrected, days closed."""

import json
import random
from datetime import UTC, date, datetime, timedelta
from typing import Any

from deploy.demo.client import Actor, Api, Bar, DemoError
from deploy.demo.scenario import Plan
from deploy.demo.setup import World

BATCH_LINES = 4000  # under the service's 5,000 lines and the gateway's 2 MiB


def sales_of(plan: Plan, skus: dict[str, str], stores: int, tag: str) -> list[list[dict[str, Any]]]:
    """Every unit of every product, in sales of 1–12 units at one price, over the calendar's
    days, dealt to the selling stores. Exactly the planned units and prices."""
    rng = random.Random(plan.seed + 4)
    first = date.fromisoformat(plan.months[0] + "-01")
    days = (date.fromisoformat(_next(plan.months[-1]) + "-01") - first).days
    per_store: list[list[dict[str, Any]]] = [[] for _ in range(stores)]
    n = 0
    for product in plan.products:
        for price, units in (
            (product.base_price_fen + 1, product.dearer),
            (product.base_price_fen, product.units - product.dearer),
        ):
            while units:
                q = min(units, rng.randint(1, 12))
                units -= q
                day = first + timedelta(days=rng.randrange(days))
                sold_at = datetime(day.year, day.month, day.day, 2, tzinfo=UTC) + timedelta(
                    minutes=rng.randrange(600)
                )
                store = n % stores
                per_store[store].append(
                    {
                        "receipt_number": f"{tag}-{store}-{n:07d}",
                        "sold_at": sold_at.isoformat(),
                        "lines": [
                            {"sku": skus[product.sku], "quantity": q, "unit_price_fen": price}
                        ],
                    }
                )
                n += 1
    return per_store


def _next(month: str) -> str:
    y, m = map(int, month.split("-"))
    return f"{y + m // 12:04d}-{m % 12 + 1:02d}"


async def report(api: Api, world: World, plan: Plan, skus: dict[str, str]) -> dict[str, int]:
    selling = [(sid, key) for sid, key, sells in world.stores if sells]
    if not selling:
        return {"sales": 0}
    per_store = sales_of(plan, skus, len(selling), world.tag)
    total = sum(map(len, per_store))
    bar = Bar("sales (stores)", total)
    counts = {"sales": total, "batches": 0, "single": 0, "voided": 0, "corrected": 0, "closed": 0}
    for (_store, key), sales in zip(selling, per_store, strict=True):
        single, typo, rest = sales[:5], sales[5:6], sales[6:]
        for k, sale in enumerate(single):
            ikey = f"sale-{sale['receipt_number']}"
            r = await api.call(key, "POST", "/v1/products/stores/me/sales", key=ikey, json=sale)
            if k == 0:  # the till did not see the answer and sends it again
                again = await api.call(
                    key, "POST", "/v1/products/stores/me/sales", key=ikey, json=sale
                )
                if (
                    again.headers.get("Idempotent-Replayed") != "true"
                    or again.json()["id"] != r.json()["id"]
                ):
                    raise DemoError("a retried sale was not replayed")
            counts["single"] += 1
            bar.advance()
        for i in range(0, len(rest), BATCH_LINES):
            chunk = rest[i : i + BATCH_LINES]
            body = "".join(json.dumps(s) + "\n" for s in chunk).encode()
            r = await api.call(
                key,
                "POST",
                "/v1/products/stores/me/sales:batch",
                key=f"batch-{chunk[0]['receipt_number']}",
                content=body,
                headers={"Content-Type": "application/x-ndjson"},
            )
            bad = [x for x in r.json()["results"] if x["status"] != "accepted"]
            if bad:
                raise DemoError(f"sales batch: {bad[:3]}")
            counts["batches"] += 1
            bar.advance(len(chunk))
        for sale in typo:
            await _typo(api, key, sale, counts)
            bar.advance()
        if sales:
            await _close_day(api, key, sales[0], counts)
            await _void(api, key, sales[0], counts)
    bar.finish()
    return counts


async def _close_day(api: Api, key: Actor, sale: dict[str, Any], counts: dict[str, int]) -> None:
    """The store closes the business day of its first sale (China time)."""
    day = (datetime.fromisoformat(sale["sold_at"]) + timedelta(hours=8)).date()
    await api.call(key, "POST", f"/v1/products/stores/me/days/{day.isoformat()}/close")
    counts["closed"] += 1


async def _void(api: Api, key: Actor, model: dict[str, Any], counts: dict[str, int]) -> None:
    """A sale rung up twice by mistake (on a day still open: today) is voided."""
    mistaken = dict(
        model,
        receipt_number=model["receipt_number"] + "-D",
        sold_at=(datetime.now(UTC) - timedelta(minutes=5)).isoformat(),
    )
    r = await api.json(
        key,
        "POST",
        "/v1/products/stores/me/sales",
        key=f"sale-{mistaken['receipt_number']}",
        json=mistaken,
    )
    await api.call(
        key,
        "POST",
        f"/v1/products/stores/me/sales/{r['id']}/corrections",
        key=f"void-{r['id']}",
        json={"kind": "void", "reason": "重复录入"},
    )
    counts["voided"] += 1


async def _typo(api: Api, key: Actor, sale: dict[str, Any], counts: dict[str, int]) -> None:
    """A sale sent with one unit too many, then corrected to what was sold."""
    line = sale["lines"][0]
    wrong = dict(sale, lines=[dict(line, quantity=line["quantity"] + 1)])
    r = await api.json(
        key,
        "POST",
        "/v1/products/stores/me/sales",
        key=f"sale-{sale['receipt_number']}",
        json=wrong,
    )
    await api.call(
        key,
        "POST",
        f"/v1/products/stores/me/sales/{r['id']}/corrections",
        key=f"fix-{r['id']}",
        json={"kind": "correction", "reason": "数量录入多了一件", "lines": sale["lines"]},
    )
    counts["corrected"] += 1
