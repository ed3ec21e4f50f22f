"""The throughput scenarios of one bench run, each driven by wrk: the sale report (3 lines, an
Idempotency-Key) to the bare baseline, straight to products and through the gateway, spread over
7 stores × 20 products and on one hot store/product; the gateway against nginx in front of the
same products service; the 10,000-line NDJSON batch; and the sale at a fixed half-maximum rate."""

import asyncio
import json
import time
import uuid
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import aiohttp
import asyncpg

from tests.bench.load import Usage, percentile, wrk
from tests.bench.world import PRICE_FEN, SKUS, BenchWorld

Result = dict[str, Any]
# The most lines one batch upload may hold (the products service's limit, answered 413 above).
BATCH_LIMIT = 5_000


class Hot:
    def __init__(
        self,
        world: BenchWorld,
        urls: dict[str, str],
        pids: Callable[[], dict[str, int]],
        seconds: float,
        products_dsn: str,
    ) -> None:
        self.world = world
        self.urls = urls  # bare, products, gateway, nginx
        self.pids = pids
        self.seconds = seconds
        self.products_dsn = products_dsn

    def _sale_cfg(self, target: str, hot: bool) -> dict[str, Any]:
        if target == "bare":
            stores = [["X-Bench", "bare"]]
            path = "/sales"
        else:
            stores = self.world.direct_stores() if target != "gateway" else None
            stores = stores or self.world.gateway_stores()
            path = "/v1/products/stores/me/sales"
        return {
            "kind": "sale",
            "path": path,
            "stores": stores[:1] if hot else stores,
            "skus": SKUS[:1] if hot else SKUS,
            "lines": 3,
            "price": PRICE_FEN,
            "sold_at": (datetime.now(UTC) - timedelta(minutes=5)).isoformat(),
            "tag": f"{target[0]}{'h' if hot else 's'}{uuid.uuid4().hex[:8]}",
        }

    def sale(self, target: str, *, hot: bool = False, connections: int = 32) -> Result:
        """Sale reports to ``target`` (bare, products or gateway) for the scenario's seconds."""
        return wrk(
            self.urls[target],
            self._sale_cfg(target, hot),
            connections=connections,
            seconds=self.seconds,
            pids=self.pids(),
        )

    def get(
        self, target: str, path: str, *, connections: int = 32, expect: int | None = None
    ) -> Result:
        """GETs of ``path`` through ``target`` (products, nginx or gateway), as a store;
        ``expect``: the status every answer should have (else 2xx)."""
        header = (
            self.world.gateway_stores() if target == "gateway" else self.world.direct_stores()
        )[0]
        cfg: dict[str, Any] = {
            "kind": "get",
            "method": "GET",
            "path": path,
            "headers": {header[0]: header[1]},
        }
        if expect is not None:
            cfg["expect"] = expect
        return wrk(
            self.urls[target], cfg, connections=connections, seconds=self.seconds, pids=self.pids()
        )

    # -- the sale at a fixed rate --------------------------------------------------------------
    async def paced_sales(self, rate: float, seconds: float) -> Result:
        """Sales through the gateway at ``rate``/s (open loop: a late answer does not delay the
        next request), spread over the stores; latency percentiles of the answers."""
        stores = self.world.gateway_stores()
        latencies: list[float] = []
        statuses: list[int] = []
        tag = uuid.uuid4().hex[:8]
        sold = (datetime.now(UTC) - timedelta(minutes=5)).isoformat()

        async def one(session: aiohttp.ClientSession, n: int) -> None:
            header = stores[n % len(stores)]
            lines = [
                {"sku": SKUS[(n * 7 + i * 3) % len(SKUS)], "quantity": 1, "unit_price_fen": 990}
                for i in range(3)
            ]
            body = {"receipt_number": f"P-{tag}-{n}", "sold_at": sold, "lines": lines}
            began = time.perf_counter()
            async with session.post(
                self.urls["gateway"] + "/v1/products/stores/me/sales",
                json=body,
                headers={header[0]: header[1], "Idempotency-Key": f"p-{tag}-{n}"},
            ) as response:
                await response.read()
                statuses.append(response.status)
            latencies.append(1000 * (time.perf_counter() - began))

        total = max(1, int(rate * seconds))
        connector = aiohttp.TCPConnector(limit=256)
        async with aiohttp.ClientSession(connector=connector) as session:
            began = time.monotonic()
            tasks = []
            for n in range(total):
                delay = began + n / rate - time.monotonic()
                if delay > 0:
                    await asyncio.sleep(delay)
                tasks.append(asyncio.create_task(one(session, n)))
            await asyncio.gather(*tasks)
        return {
            "rate": rate,
            "requests": total,
            "p50_ms": percentile(latencies, 50),
            "p99_ms": percentile(latencies, 99),
            "errors": sum(1 for s in statuses if s >= 300),
        }

    # -- the batch -----------------------------------------------------------------------------
    async def batch(self, lines: int) -> Result:
        """``lines`` one-line sales as NDJSON through the gateway, in uploads of at most the
        service's limit (BATCH_LIMIT) sent one after the other; then the time for the products
        relay to publish their events, and the relay's CPU per event (products' CPU while it
        drains, no request running)."""
        sold = (datetime.now(UTC) - timedelta(minutes=5)).isoformat()
        tag = uuid.uuid4().hex[:8]
        bodies = [
            self._ndjson(tag, sold, first, min(lines, first + BATCH_LIMIT))
            for first in range(0, lines, BATCH_LIMIT)
        ]
        store = self.world.gateway_stores()[1]
        pids = self.pids()
        outbox = await asyncpg.connect(self.products_dsn)
        try:
            before = await _pending(outbox)
            accepted = 0
            async with aiohttp.ClientSession() as session:
                with Usage(pids) as request_usage:
                    began = time.perf_counter()
                    for n, body in enumerate(bodies):
                        headers = {
                            store[0]: store[1],
                            "Content-Type": "application/x-ndjson",
                            "Idempotency-Key": f"batch-{tag}-{n}",
                        }
                        accepted += await _upload(session, self.urls["gateway"], body, headers)
                    seconds = time.perf_counter() - began
            backlog = await _pending(outbox) - before
            with Usage({"products": pids["products"]}) as drain_usage:
                drain_began = time.perf_counter()
                while await _pending(outbox) > before:  # noqa: ASYNC110 - polls the database
                    await asyncio.sleep(0.05)
                drain = time.perf_counter() - drain_began
        finally:
            await outbox.close()
        return {
            "lines": lines,
            "uploads": len(bodies),
            "accepted": accepted,
            "seconds": seconds,
            "per_second": accepted / seconds,
            "events_pending_after_answer": backlog,
            "drain_seconds": drain,
            "relay_cpu_ms_per_event": (
                1000 * drain_usage.cpu["products"] / backlog if backlog > 0 else None
            ),
            "cpu_ms_per_line": request_usage.per_request_ms(lines),
            "rss_mb": request_usage.rss_peak,
            "products_rss_after_drain_mb": drain_usage.rss_peak.get("products", 0.0),
        }

    @staticmethod
    def _ndjson(tag: str, sold: str, first: int, last: int) -> bytes:
        return "".join(
            json.dumps(
                {
                    "receipt_number": f"B-{tag}-{i}",
                    "sold_at": sold,
                    "lines": [{"sku": SKUS[i % len(SKUS)], "quantity": 1, "unit_price_fen": 990}],
                }
            )
            + "\n"
            for i in range(first, last)
        ).encode()


async def _upload(
    session: aiohttp.ClientSession, gateway: str, body: bytes, headers: dict[str, str]
) -> int:
    """One batch upload; how many of its lines were accepted."""
    async with session.post(
        gateway + "/v1/products/stores/me/sales:batch",
        data=body,
        headers=headers,
        timeout=aiohttp.ClientTimeout(total=600),
    ) as response:
        answer = await response.read()
        if response.status != 200:
            raise RuntimeError(f"batch answered {response.status}: {answer[:300]!r}")
    return sum(
        1
        for r in json.loads(answer).get("results", [])
        if r.get("status") in ("accepted", "recorded")
    )


async def _pending(conn: asyncpg.Connection) -> int:
    return int(await conn.fetchval("SELECT count(*) FROM outbox WHERE published_at IS NULL"))
