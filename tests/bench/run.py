"""`make bench`: throughput of the platform's hot paths, measured side by side in one run.

Starts a nats-server, the products service and the gateway as real uvicorn processes on fresh
PostgreSQL databases, then drives each scenario with a load generator in its own process
(keep-alive connections, fixed concurrency, fixed duration) and prints requests per second,
latency percentiles and the ratios that matter: gateway vs direct for the same request.
Figures depend on the machine; compare ratios, and runs on the same machine.

    make bench                       # 8 s per scenario
    EW_BENCH_SECONDS=20 make bench
"""

import argparse
import asyncio
import json
import os
import statistics
import subprocess
import sys
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import aiohttp
import asyncpg
import httpx

from shared.identity import IDENTITY_HEADER, Identity, sign_identity
from tests.support.events import EVENT_PUBLIC_KEYS, event_private_key
from tests.support.infra import (
    TEST_NATS_PASSWORDS,
    NatsServer,
    asyncpg_url,
    free_port,
    sqlalchemy_url,
    wait_for_port,
)

ROOT = Path(__file__).resolve().parents[2]
SECONDS = float(os.environ.get("EW_BENCH_SECONDS", "8"))
IDENTITY_SECRET = "bench-identity-secret-0123456789abcdef0123"
ADMIN_PASSWORD = "bench-admin-password-0123"
SKUS = [f"WA-BENCH-{i:03d}" for i in range(20)]


# -- load generator (runs in its own process) ------------------------------------------------
async def _load(spec: dict[str, Any]) -> dict[str, Any]:
    latencies: list[float] = []
    statuses: dict[str, int] = {}
    deadline = time.monotonic() + spec["seconds"]
    counter = 0

    def body() -> bytes | None:
        nonlocal counter
        counter += 1
        kind = spec.get("body")
        if kind == "sale":
            sold = (datetime.now(UTC) - timedelta(minutes=5)).isoformat()
            return json.dumps(
                {
                    "receipt_number": f"R-{spec['tag']}-{os.getpid()}-{counter}",
                    "sold_at": sold,
                    "lines": [
                        {"sku": SKUS[counter % len(SKUS)], "quantity": 2, "unit_price_fen": 1250}
                    ],
                }
            ).encode()
        if kind == "batch":
            sold = (datetime.now(UTC) - timedelta(minutes=5)).isoformat()
            lines = [
                json.dumps(
                    {
                        "receipt_number": f"B-{spec['tag']}-{os.getpid()}-{counter}-{i}",
                        "sold_at": sold,
                        "lines": [
                            {"sku": SKUS[i % len(SKUS)], "quantity": 1, "unit_price_fen": 990}
                        ],
                    }
                )
                for i in range(spec["lines"])
            ]
            return ("\n".join(lines) + "\n").encode()
        return None

    async def worker(session: aiohttp.ClientSession) -> None:
        while time.monotonic() < deadline:
            started = time.perf_counter()
            async with session.request(
                spec["method"], spec["url"], data=body(), headers=spec["headers"]
            ) as response:
                await response.read()
                key = str(response.status)
            latencies.append(time.perf_counter() - started)
            statuses[key] = statuses.get(key, 0) + 1

    connector = aiohttp.TCPConnector(limit=spec["concurrency"])
    timeout = aiohttp.ClientTimeout(total=60)
    async with aiohttp.ClientSession(connector=connector, timeout=timeout) as session:
        began = time.monotonic()
        await asyncio.gather(*(worker(session) for _ in range(spec["concurrency"])))
        elapsed = time.monotonic() - began
    latencies.sort()
    return {
        "requests": len(latencies),
        "per_second": len(latencies) / elapsed,
        "p50_ms": 1000 * latencies[len(latencies) // 2] if latencies else 0,
        "p99_ms": 1000 * latencies[int(len(latencies) * 0.99)] if latencies else 0,
        "mean_ms": 1000 * statistics.fmean(latencies) if latencies else 0,
        "statuses": statuses,
    }


def run_load(**spec: Any) -> dict[str, Any]:
    spec.setdefault("seconds", SECONDS)
    spec.setdefault("headers", {})
    spec.setdefault("tag", uuid.uuid4().hex[:6])
    out = subprocess.run(
        [sys.executable, "-m", "tests.bench.run", "--load", json.dumps(spec)],
        capture_output=True,
        text=True,
        check=True,
        cwd=ROOT,
    )
    return json.loads(out.stdout)  # type: ignore[no-any-return]


# -- the platform under test -------------------------------------------------------------------
class Platform:
    def __init__(self) -> None:
        self.run_id = uuid.uuid4().hex[:8]
        self.dbs = {s: f"ew_bench_{self.run_id}_{s}" for s in ("products", "gateway")}
        self.nats = NatsServer()
        self.ports = {"products": free_port(), "gateway": free_port()}
        self.procs: list[subprocess.Popen[bytes]] = []

    async def start(self) -> None:
        self.nats.start()
        conn = await asyncpg.connect(asyncpg_url("postgres"))
        for name in self.dbs.values():
            await conn.execute(f'CREATE DATABASE "{name}"')
        await conn.close()
        env = dict(os.environ) | {
            "EW_ENV": "test",
            "EW_IDENTITY_SECRET": IDENTITY_SECRET,
            "EW_PII_KEY": "bench-pii-key-0123456789abcdef0123456789",
            "EW_NATS_URL": self.nats.url,
            # The products service signs what it publishes (the gateway ignores these).
            "EW_EVENT_SIGNING_KEY": event_private_key("products"),
            "EW_EVENT_PUBLIC_KEYS": json.dumps(EVENT_PUBLIC_KEYS),
            "EW_LOG_LEVEL": "WARNING",
            "EW_BOOTSTRAP_ADMIN_PASSWORD": ADMIN_PASSWORD,
            "GATEWAY_TOKEN_SECRET": "bench-gateway-token-secret-0123456789abc",
            "PRODUCTS_DATABASE_URL": sqlalchemy_url(self.dbs["products"]),
            "GATEWAY_DATABASE_URL": sqlalchemy_url(self.dbs["gateway"]),
            "GATEWAY_PRODUCTS_URL": f"http://127.0.0.1:{self.ports['products']}",
            "GATEWAY_RATE_LIMIT_PER_SECOND": "100000",
            "GATEWAY_RATE_LIMIT_BURST": "100000",
        }
        for service in ("products", "gateway"):
            subprocess.run(
                [sys.executable, "-m", "deploy.migrate", service, "upgrade"],
                env=env,
                cwd=ROOT,
                check=True,
                capture_output=True,
            )
        for service, app in (
            ("products", "services.products.app:app"),
            ("gateway", "gateway.app:app"),
        ):
            self.procs.append(
                subprocess.Popen(
                    [
                        sys.executable,
                        "-m",
                        "uvicorn",
                        app,
                        "--port",
                        str(self.ports[service]),
                        "--no-access-log",
                        "--log-level",
                        "warning",
                        "--loop",
                        "uvloop",
                        "--http",
                        "httptools",
                    ],
                    env=env
                    | {"EW_NATS_USER": service, "EW_NATS_PASSWORD": TEST_NATS_PASSWORDS[service]},
                    cwd=ROOT,
                    stdout=subprocess.DEVNULL,
                )
            )
            wait_for_port(self.ports[service], timeout=60)
        for service in ("products", "gateway"):
            await _until_ready(self.url(service))

    def url(self, service: str) -> str:
        return f"http://127.0.0.1:{self.ports[service]}"

    async def stop(self) -> None:
        for proc in self.procs:
            proc.terminate()
        for proc in self.procs:
            proc.wait(timeout=20)
        self.nats.stop()
        conn = await asyncpg.connect(asyncpg_url("postgres"))
        for name in self.dbs.values():
            await conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        await conn.close()


async def _until_ready(url: str) -> None:
    async with httpx.AsyncClient() as client:
        for _ in range(300):
            try:
                if (await client.get(f"{url}/readyz")).status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            await asyncio.sleep(0.1)
    raise RuntimeError(f"{url} never became ready")


async def setup(platform: Platform) -> dict[str, str]:
    """Through the gateway as an operator would: a supplier, products, a store and its key."""
    async with httpx.AsyncClient(base_url=platform.url("gateway"), timeout=30) as gw:
        login = await gw.post(
            "/v1/auth/login", json={"username": "admin", "password": ADMIN_PASSWORD}
        )
        login.raise_for_status()
        admin = {"Authorization": f"Bearer {login.json()['access_token']}"}
        supplier = await gw.post(
            "/v1/products/suppliers",
            headers=admin,
            json={
                "name": "Bench Tea Cooperative",
                "kind": "cooperative",
                "township": "Houchang",
                "poor_households_linked": 42,
            },
        )
        supplier.raise_for_status()
        for i, sku in enumerate(SKUS):
            product = await gw.post(
                "/v1/products/catalogue",
                headers=admin,
                json={
                    "sku": sku,
                    "name": f"Bench product {i}",
                    "category": "tea",
                    "supplier_id": supplier.json()["id"],
                    "unit": "box",
                    "net_weight_grams": 250,
                    "list_price_fen": 1250,
                },
            )
            product.raise_for_status()
        store = await gw.post(
            "/v1/products/stores",
            headers=admin,
            json={"name": "Bench store", "kind": "flagship_store", "address": "Haizhu"},
        )
        store.raise_for_status()
        key = await gw.post(
            "/v1/admin/api-keys",
            headers=admin,
            json={"name": "bench store", "role": "store", "subject_id": store.json()["id"]},
        )
        key.raise_for_status()
    identity = Identity(
        principal_id=str(uuid.uuid4()), kind="api_key", role="store", subject_id=store.json()["id"]
    )
    return {
        "store_key": key.json()["key"],
        "admin_token": login.json()["access_token"],
        "signed": sign_identity(identity, IDENTITY_SECRET, ttl_seconds=3600),
    }


def row(name: str, result: dict[str, Any], unit: str = "req/s", scale: int = 1) -> str:
    errors = sum(n for s, n in result["statuses"].items() if not s.startswith("2"))
    return (
        f"| {name} | {result['per_second'] * scale:,.0f} {unit} | {result['p50_ms']:.1f} | "
        f"{result['p99_ms']:.1f} | {errors} |"
    )


async def main() -> None:
    platform = Platform()
    await platform.start()
    try:
        creds = await setup(platform)
        direct = {IDENTITY_HEADER: creds["signed"], "content-type": "application/json"}
        via_key = {
            "Authorization": f"Bearer {creds['store_key']}",
            "content-type": "application/json",
        }
        products, gateway = platform.url("products"), platform.url("gateway")
        me = "/v1/products/stores/me"
        results = {
            "read direct": run_load(
                method="GET", url=products + me, headers=direct, concurrency=32
            ),
            "read via gateway": run_load(
                method="GET", url=gateway + me, headers=via_key, concurrency=32
            ),
            "sale direct": run_load(
                method="POST",
                url=products + me + "/sales",
                headers=direct,
                body="sale",
                concurrency=32,
            ),
            "sale via gateway": run_load(
                method="POST",
                url=gateway + me + "/sales",
                headers=via_key,
                body="sale",
                concurrency=32,
            ),
            "batch via gateway": run_load(
                method="POST",
                url=gateway + me + "/sales:batch",
                body="batch",
                lines=1000,
                headers=via_key | {"content-type": "application/x-ndjson"},
                concurrency=2,
            ),
        }
        stats_headers = {"Authorization": f"Bearer {creds['admin_token']}"}
        results["statistics by product"] = run_load(
            method="GET",
            url=gateway + "/v1/products/statistics?group_by=product",
            headers=stats_headers,
            concurrency=8,
        )
    finally:
        await platform.stop()

    print(
        f"\nHot paths ({SECONDS:.0f} s each, PostgreSQL, one machine; "
        f"load generator in its own process)\n"
    )
    print("| scenario | throughput | p50 ms | p99 ms | non-2xx |")
    print("|---|---|---|---|---|")
    for name, result in results.items():
        if name.startswith("batch"):
            print(row(name + " (1,000 lines)", result, "lines/s", 1000))
        else:
            print(row(name, result))
    read_ratio = results["read via gateway"]["per_second"] / results["read direct"]["per_second"]
    sale_ratio = results["sale via gateway"]["per_second"] / results["sale direct"]["per_second"]
    batch_vs_single = (
        results["batch via gateway"]["per_second"]
        * 1000
        / results["sale via gateway"]["per_second"]
    )
    print(f"\ngateway / direct, read:  {read_ratio:.2f}×")
    print(f"gateway / direct, sale:  {sale_ratio:.2f}×")
    print(f"batch lines / single sales per second: {batch_vs_single:.1f}×")
    for name, result in results.items():
        bad = {s: n for s, n in result["statuses"].items() if not s.startswith("2")}
        if bad:
            print(f"warning: {name} answered {bad}")


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--load")
    args = parser.parse_args()
    if args.load:
        print(json.dumps(asyncio.run(_load(json.loads(args.load)))))
    else:
        asyncio.run(main())
