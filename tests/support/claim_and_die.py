"""A request that dies mid-flight: claim an Idempotency-Key as a service would, then exit the
process with ``os._exit`` before the request's transaction commits, as ``kill -9`` would.

``python -m tests.support.claim_and_die URL METHOD PATH SCOPE KEY BODY_JSON``
"""

import asyncio
import json
import os
import sys
from types import SimpleNamespace

from shared.db import make_engine, make_sessionmaker
from shared.idempotency import IdempotencyGuard


async def main(url: str, method: str, path: str, scope: str, key: str, body: str) -> None:
    engine = make_engine(url)
    app = SimpleNamespace(state=SimpleNamespace(sessionmaker=make_sessionmaker(engine)))
    request = SimpleNamespace(method=method, url=SimpleNamespace(path=path), app=app)
    async with app.state.sessionmaker() as session:
        guard = IdempotencyGuard(request, key)  # type: ignore[arg-type]
        replay = await guard.begin(session, scope, json.loads(body))
        assert replay is None, "the key was not free"
        print("claimed", flush=True)
        await asyncio.sleep(0.5)  # the request is working ...
        os._exit(137)  # ... when its process is killed


if __name__ == "__main__":
    asyncio.run(main(*sys.argv[1:7]))
