"""Limits across gateway replicas (issue 13, part 4): two real gateways on one database share
the rate limit, the failed-credential budget, the login budget and revocations; with the shared
store unreachable the local limit still applies."""

import asyncio
import itertools
from typing import Any

import pytest

from gateway.limits import FleetLimiter
from tests.gateway.conftest import GatewayFactory, RunningGateway, bearer, create_api_key
from tests.support.infra import wait_until

# No refill to speak of during a test: a bucket holds exactly its burst.
SLOW = 0.001


async def statuses(gateways: list[RunningGateway], n: int, path: str, **kw: Any) -> list[int]:
    out = []
    for gw in itertools.islice(itertools.cycle(gateways), n):
        r = await gw.client.get(path, **kw)
        out.append(r.status_code)
    return out


async def test_rate_limit_holds_across_two_gateways(
    start_gateway: GatewayFactory, echo: tuple[Any, str]
) -> None:
    _, url = echo
    limits = {"rate_limit_per_second": SLOW, "rate_limit_burst": 6, "login_burst": 100}
    urls = {"jobs_url": url, "products_url": url, "subsidies_url": url}
    async with start_gateway(**limits, **urls) as a, start_gateway(**limits, **urls) as b:
        key = (await create_api_key(a, "store", "00000000-0000-4000-8000-000000000001"))["key"]
        got = await statuses([a, b], 14, "/v1/products/sales", headers=bearer(key))
        # Per process each gateway would pass 6 (12 in all); the fleet passes 6.
        assert got.count(200) == 6, got
        assert got.count(429) == 8, got
        assert got[:6] == [200] * 6
        # Each refused locally from now on (its bucket drained to the fleet's), on both.
        assert (await b.client.get("/v1/products/sales", headers=bearer(key))).status_code == 429


async def test_failed_credential_budget_holds_across_two_gateways(
    start_gateway: GatewayFactory,
) -> None:
    limits = {"auth_failure_rate_per_second": SLOW, "auth_failure_burst": 4}
    async with start_gateway(**limits) as a, start_gateway(**limits) as b:
        bad = bearer("ew_abcdefgh_" + "x" * 32)
        got = await statuses([a, b], 7, "/v1/auth/me", headers=bad)
        assert got == [401] * 4 + [429] * 3, got


async def test_login_budget_holds_across_two_gateways(start_gateway: GatewayFactory) -> None:
    limits = {"login_rate_per_second": SLOW, "login_burst": 3}
    async with start_gateway(**limits) as a, start_gateway(**limits) as b:
        got = []
        for gw in (a, b, a, b, a):
            r = await gw.client.post(
                "/v1/auth/login", json={"username": "admin", "password": "wrong-password-1234"}
            )
            got.append(r.status_code)
        assert got == [401, 401, 401, 429, 429], got


async def test_revocation_reaches_the_other_gateway_at_once(
    start_gateway: GatewayFactory, echo: tuple[Any, str]
) -> None:
    _, url = echo
    # Credentials remembered for 5 minutes: only the announcement can make B forget in time.
    settings = {"credential_cache_seconds": 300, "jobs_url": url, "products_url": url}
    async with start_gateway(**settings) as a, start_gateway(**settings) as b:
        created = await create_api_key(a, "store", "00000000-0000-4000-8000-000000000002")
        key = bearer(created["key"])
        for gw in (a, b):
            assert (await gw.client.get("/v1/products/sales", headers=key)).status_code == 200
        admin = bearer(await a.admin_token())
        r = await a.client.delete(f"/v1/admin/api-keys/{created['id']}", headers=admin)
        assert r.status_code == 204

        async def refused_on_b() -> bool:
            r = await b.client.get("/v1/products/sales", headers=key)
            return r.status_code == 401

        await wait_until(refused_on_b, timeout=20, what="the revocation on the other gateway")
        assert (await a.client.get("/v1/products/sales", headers=key)).status_code == 401


class DownStore:
    calls = 0

    async def take(self, key: str, rate: float, burst: float, want: int) -> tuple[int, float]:
        self.calls += 1
        raise ConnectionRefusedError("the database is down")

    async def peek(self, key: str, rate: float, burst: float) -> float | None:
        self.calls += 1
        raise ConnectionRefusedError("the database is down")


@pytest.mark.parametrize("lease", [1, 5])
async def test_with_the_shared_store_down_the_local_limit_applies(lease: int) -> None:
    now = [0.0]
    store = DownStore()
    limiter = FleetLimiter("rate", 1.0, 3, store, lease=lease, clock=lambda: now[0])
    assert [await limiter.acquire("k") for _ in range(4)] == [None, None, None, 1]
    # Asked once, then left alone for a while (no database call per request while it is down).
    assert store.calls == 1
    assert await limiter.blocked("k") == 1
    now[0] += 10
    assert await limiter.acquire("k") is None
    assert store.calls == 2


class CountingStore:
    """A shared bucket in memory, as the database keeps it, counting its calls."""

    def __init__(self, burst: float) -> None:
        self.tokens = burst
        self.calls = 0

    async def take(self, key: str, rate: float, burst: float, want: int) -> tuple[int, float]:
        self.calls += 1
        taken = min(want, int(self.tokens))
        self.tokens -= taken
        return taken, self.tokens

    async def peek(self, key: str, rate: float, burst: float) -> float | None:
        self.calls += 1
        return self.tokens


async def test_leases_never_pass_more_than_the_shared_bucket() -> None:
    now = [0.0]
    shared = CountingStore(100)
    replicas = [
        FleetLimiter("rate", 1e-6, 100, shared, lease=5, clock=lambda: now[0]) for _ in range(3)
    ]
    passed = 0
    for i in range(300):
        if await replicas[i % 3].acquire("k") is None:
            passed += 1
        now[0] += 0.001
    assert passed <= 100
    assert passed >= 85  # leases left unspent on the other replicas when the bucket ran dry
    assert shared.calls < 300 / 2  # most passes spent leased tokens without a database call


class SlowStore(CountingStore):
    """The shared bucket behind a round trip: other requests run while a take is on the wire."""

    async def take(self, key: str, rate: float, burst: float, want: int) -> tuple[int, float]:
        await asyncio.sleep(0.01)
        return await super().take(key, rate, burst, want)


async def test_concurrent_requests_share_one_lease_refill() -> None:
    """32 requests of one credential at once, well within its burst of 100, all pass: while one
    request refills the lease the others wait for it instead of each taking a lease of their
    own (32 leases of 5 would ask for 160 tokens and refuse a dozen requests for nothing)."""
    now = [0.0]
    shared = SlowStore(100)
    limiter = FleetLimiter("rate", 1e-6, 100, shared, lease=5, clock=lambda: now[0])
    answers = await asyncio.gather(*(limiter.acquire("k") for _ in range(32)))
    assert answers == [None] * 32
    assert shared.calls == 7  # ceil(32 / 5): one refill at a time
    assert shared.tokens == 100 - 35
    # The same with the shared bucket nearly dry: exactly what it holds passes, no more.
    shared.tokens = 12
    answers = await asyncio.gather(*(limiter.acquire("k") for _ in range(32)))
    assert answers.count(None) == 3 + 12  # the 3 leased tokens left, then the bucket's 12
    assert shared.tokens == 0


async def test_a_cancelled_refill_leaves_the_waiters_to_refill_themselves() -> None:
    """The request refilling the lease goes away (its client hung up) while others wait on it:
    they are not cancelled with it, one of them refills, and all of them pass."""
    shared = SlowStore(100)
    limiter = FleetLimiter("rate", 1e-6, 100, shared, lease=5, clock=lambda: 0.0)
    first = asyncio.create_task(limiter.acquire("k"))
    await asyncio.sleep(0)  # its take is on the wire
    waiters = [asyncio.create_task(limiter.acquire("k")) for _ in range(4)]
    await asyncio.sleep(0)
    first.cancel()
    assert await asyncio.gather(*waiters) == [None] * 4
    with pytest.raises(asyncio.CancelledError):
        await first
