"""Event propagation at a fixed rate, measured per event: a partner confirms a worker's month
in jobs (answered once committed, with its outbox event) → the subsidy application line for
that confirmation exists in subsidies' database (queryable); a store reports a sale → the
bureau's statistics of that store include it."""

import asyncio
import time
import uuid
from collections import deque
from datetime import UTC, datetime, timedelta
from typing import Any

import aiohttp
import asyncpg

from tests.bench.load import percentile
from tests.bench.world import SKUS, BenchWorld

MONTHS = [f"2026-{m:02d}" for m in range(1, 12)]


async def _paced(rate: float, total: int, send: Any) -> None:
    began = time.monotonic()
    tasks = []
    for n in range(total):
        delay = began + n / rate - time.monotonic()
        if delay > 0:
            await asyncio.sleep(delay)
        tasks.append(asyncio.create_task(send(n)))
    await asyncio.gather(*tasks)


def _summary(rate: float, sent: int, seen: list[float], failed: int, began: float) -> dict:
    return {
        "rate": rate,
        "sent": sent,
        "seen": len(seen),
        "failed": failed,
        "p50_ms": percentile(seen, 50),
        "p99_ms": percentile(seen, 99),
        "seconds": time.monotonic() - began,
    }


class Propagation:
    def __init__(self, world: BenchWorld, gateway: str, subsidies_dsn: str) -> None:
        self.world = world
        self.gateway = gateway
        self.subsidies_dsn = subsidies_dsn
        # Placements whose next month may be confirmed (across runs), and that month's index.
        self.ready = deque(world.placements)
        self.months = dict.fromkeys(world.placements, 0)

    async def wait_placements(self, timeout: float = 120) -> None:  # noqa: ASYNC109
        """Until subsidies knows every placement (the jobs events of the set-up)."""
        conn = await asyncpg.connect(self.subsidies_dsn)
        try:
            deadline = time.monotonic() + timeout
            while await conn.fetchval("SELECT count(*) FROM placements") < len(
                self.world.placements
            ):
                if time.monotonic() > deadline:
                    raise RuntimeError("subsidies did not learn the placements in time")
                await asyncio.sleep(0.2)
        finally:
            await conn.close()

    async def confirmations(self, rate: float, seconds: float) -> dict[str, Any]:
        """Confirm months at ``rate``/s; latency from jobs' answer to the application line.
        Months of one placement go in order, so a placement is confirmed again only once its
        previous month was answered: a tick with no such placement is skipped and counted
        (the platform is behind)."""
        total = int(rate * seconds)
        answered: dict[str, float] = {}
        refusals: dict[str, str] = {}
        seen: list[float] = []
        failed = skipped = 0
        began = time.monotonic()
        conn = await asyncpg.connect(self.subsidies_dsn)
        done = asyncio.Event()

        async def watch() -> None:
            while answered or not done.is_set():
                if done.is_set() and time.monotonic() - began > seconds + 30:
                    return  # what never arrived stays unseen
                if answered:
                    rows = await conn.fetch(
                        "SELECT confirmation_id::text FROM application_lines "
                        "WHERE confirmation_id = ANY($1::uuid[])",
                        list(answered),
                    )
                    now = time.perf_counter()
                    for row in rows:
                        seen.append(1000 * (now - answered.pop(row[0])))
                await asyncio.sleep(0.002)

        async def send(session: aiohttp.ClientSession, _: int) -> None:
            nonlocal failed, skipped
            if not self.ready:
                skipped += 1
                return
            placement = self.ready.popleft()
            month = MONTHS[self.months[placement]]
            async with session.post(
                f"{self.gateway}/v1/jobs/placements/{placement}/confirmations",
                json={"month": month, "wage_paid_fen": 520_000},
                headers=self.world.world.partner | {"Idempotency-Key": f"m-{placement}-{month}"},
            ) as response:
                body = await response.json()
            if response.status == 201:
                answered[body["id"]] = time.perf_counter()
                self.months[placement] += 1
            else:
                failed += 1
                refusals.setdefault("first", f"{response.status} {str(body)[:300]}")
            if self.months[placement] < len(MONTHS):
                self.ready.append(placement)

        watcher = asyncio.create_task(watch())
        try:
            async with aiohttp.ClientSession() as session:
                await _paced(rate, total, lambda n: send(session, n))
            done.set()
            await watcher
        finally:
            watcher.cancel()
            await conn.close()
        summary = _summary(rate, total - skipped, seen, failed, began)
        return summary | {"skipped_ticks": skipped, "first_refusal": refusals.get("first")}

    async def sales_to_statistics(self, rate: float, seconds: float) -> dict[str, Any]:
        """Sales (1 unit each) to the last store at ``rate``/s; latency from the sale's answer
        until the bureau's statistics of that store, today, count it (polled back to back)."""
        store = self.world.store_ids[-1]
        header = self.world.gateway_stores()[-1]
        total = int(rate * seconds)
        tag = uuid.uuid4().hex[:8]
        today = datetime.now(UTC) + timedelta(hours=8)  # the business day is China's
        params = {"store_id": store, "date_from": str(today.date()), "date_to": str(today.date())}
        answered: list[float] = []
        refused_reads: dict[str, int] = {}
        seen: list[float] = []
        failed = 0
        began = time.monotonic()
        async with aiohttp.ClientSession() as session:
            stats_url = f"{self.gateway}/v1/products/statistics"
            async with session.get(stats_url, params=params, headers=self.world.admin) as r:
                base = (await r.json())["total"]["quantity"]
            done = asyncio.Event()

            async def send(n: int) -> None:
                nonlocal failed
                body = {
                    "receipt_number": f"S-{tag}-{n}",
                    "sold_at": (datetime.now(UTC) - timedelta(seconds=5)).isoformat(),
                    "lines": [{"sku": SKUS[n % len(SKUS)], "quantity": 1, "unit_price_fen": 990}],
                }
                async with session.post(
                    f"{self.gateway}/v1/products/stores/me/sales",
                    json=body,
                    headers={header[0]: header[1], "Idempotency-Key": f"s-{tag}-{n}"},
                ) as response:
                    await response.read()
                    if response.status == 201:
                        answered.append(time.perf_counter())
                    else:
                        failed += 1

            async def watch() -> None:
                counted = 0
                while counted < len(answered) or not done.is_set():
                    if done.is_set() and time.monotonic() - began > seconds + 30:
                        return  # what never showed stays unseen
                    async with session.get(stats_url, params=params, headers=self.world.admin) as r:
                        answer = await r.json()
                    if r.status != 200:  # counted, then asked again
                        refused_reads[str(r.status)] = refused_reads.get(str(r.status), 0) + 1
                        await asyncio.sleep(0.01)
                        continue
                    quantity = answer["total"]["quantity"] - base
                    now = time.perf_counter()
                    # Answers are in time order; the statistics count the first `quantity`.
                    while counted < min(quantity, len(answered)):
                        seen.append(1000 * (now - answered[counted]))
                        counted += 1

            watcher = asyncio.create_task(watch())
            await _paced(rate, total, send)
            done.set()
            await watcher
        return _summary(rate, total, seen, failed, began) | {"refused_reads": refused_reads}
