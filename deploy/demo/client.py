"""The demo's HTTP side: actors with their own credentials, retries that reuse the
Idempotency-Key, bounded concurrency and a progress bar per phase (on stderr)."""

import asyncio
import sys
import time
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass
from typing import Any, TypeVar

import httpx

T = TypeVar("T")
RETRYABLE = {408, 429, 500, 502, 503, 504}


class DemoError(RuntimeError):
    """A call the scenario needs was refused: the platform disagrees with the plan."""


@dataclass
class Actor:
    """Who calls: a login (username, password) or an API key."""

    name: str
    token: str = ""
    username: str = ""
    password: str = ""

    @property
    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"}


class Api:
    def __init__(self, base_url: str, concurrency: int = 16) -> None:
        self.http = httpx.AsyncClient(
            base_url=base_url,
            timeout=httpx.Timeout(60.0, connect=5.0),
            limits=httpx.Limits(max_connections=concurrency * 2),
        )
        self.gate = asyncio.Semaphore(concurrency)
        self.requests = 0
        self.throttled = 0  # 429s: a credential over the gateway's rate limit

    async def close(self) -> None:
        await self.http.aclose()

    async def login(self, name: str, username: str, password: str) -> Actor:
        actor = Actor(name, username=username, password=password)
        await self._login(actor)
        return actor

    async def _login(self, actor: Actor) -> None:
        r = await self.http.post(
            "/v1/auth/login", json={"username": actor.username, "password": actor.password}
        )
        if r.status_code != 200:
            raise DemoError(f"login of {actor.username}: {r.status_code} {r.text[:300]}")
        actor.token = r.json()["access_token"]

    async def call(
        self,
        actor: Actor | None,
        method: str,
        path: str,
        *,
        expect: Iterable[int] = (200, 201),
        key: str | None = None,
        **kw: Any,
    ) -> httpx.Response:
        """One request, retried (same body, same Idempotency-Key) on a network error, a 5xx,
        a 429 or an expired login; any other unexpected status is a :class:`DemoError`."""
        expected = set(expect)
        delay = 0.2
        for _attempt in range(30):
            headers = dict(kw.pop("headers", {}))
            if actor is not None:
                headers |= actor.headers
            if key is not None:
                headers["Idempotency-Key"] = key
            try:
                async with self.gate:
                    self.requests += 1
                    r = await self.http.request(method, path, headers=headers, **kw)
            except httpx.TransportError:
                r = None
            kw["headers"] = headers
            if r is not None and r.status_code in expected:
                return r
            if r is not None and r.status_code == 401 and actor and actor.username:
                await self._login(actor)
                continue
            if r is not None and r.status_code == 429:
                self.throttled += 1
            if r is not None and r.status_code not in RETRYABLE:
                raise DemoError(f"{method} {path}: {r.status_code} {r.text[:500]}")
            wait = float(r.headers.get("Retry-After", delay)) if r is not None else delay
            await asyncio.sleep(min(wait, 5.0))
            delay = min(delay * 1.5, 3.0)
        raise DemoError(f"{method} {path}: no answer after 30 attempts")

    async def json(self, actor: Actor | None, method: str, path: str, **kw: Any) -> Any:
        return (await self.call(actor, method, path, **kw)).json()


class Bar:
    """A one-line progress bar on stderr: ``phase [#####.....] 123/456 12.3 s``."""

    def __init__(self, label: str, total: int) -> None:
        self.label, self.total, self.done = label, max(total, 1), 0
        self.t0 = time.monotonic()
        self._drawn = -1.0
        self.draw(force=True)

    def advance(self, n: int = 1) -> None:
        self.done += n
        self.draw()

    def draw(self, force: bool = False) -> None:
        now = time.monotonic()
        if not force and now - self._drawn < 0.2 and self.done < self.total:
            return
        self._drawn = now
        filled = 30 * min(self.done, self.total) // self.total
        sys.stderr.write(
            f"\r{self.label:<28} [{'#' * filled}{'.' * (30 - filled)}] "
            f"{self.done}/{self.total} {now - self.t0:6.1f} s"
        )
        sys.stderr.flush()

    def finish(self) -> float:
        self.done = self.total
        self.draw(force=True)
        sys.stderr.write("\n")
        return time.monotonic() - self.t0


async def each(
    label: str, items: list[T], work: Callable[[T], Awaitable[Any]], *, weight: int = 1
) -> list[Any]:
    """``work`` on every item side by side (the client's semaphore bounds it), with a bar."""
    bar = Bar(label, len(items) * weight)

    async def one(item: T) -> Any:
        result = await work(item)
        bar.advance(weight)
        return result

    results = await asyncio.gather(*(one(item) for item in items))
    bar.finish()
    return list(results)
