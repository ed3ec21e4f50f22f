"""Serve an ASGI app under a real uvicorn server inside the test's event loop, on a free port:
for what only real HTTP shows (chunked bodies, early answers, connection pools, timeouts)."""

import asyncio
import contextlib
import socket
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from typing import Any

import uvicorn

from tests.support.infra import wait_until


class _QuietServer(uvicorn.Server):
    # The test process keeps its own signal handlers (Ctrl-C must still stop pytest).
    @contextlib.contextmanager
    def capture_signals(self) -> Iterator[None]:
        yield


@dataclass
class RunningServer:
    url: str
    port: int
    server: uvicorn.Server


def bound_socket() -> socket.socket:
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    return sock


@contextlib.asynccontextmanager
async def serve(app: Any, *, lifespan: str = "on", **config: Any) -> AsyncIterator[RunningServer]:
    """Run ``app`` until the block ends; yields its base URL. Startup failures raise here."""
    sock = bound_socket()
    port = sock.getsockname()[1]
    server = _QuietServer(
        uvicorn.Config(
            app,
            lifespan=lifespan,
            log_level="warning",
            access_log=False,
            timeout_graceful_shutdown=5,
            **config,
        )
    )
    task = asyncio.create_task(server.serve(sockets=[sock]), name=f"uvicorn:{port}")
    try:
        await wait_until(
            lambda: server.started or task.done(), timeout=30, what=f"server on port {port}"
        )
        if task.done():
            task.result()  # raises the startup error, if any
            raise RuntimeError(f"server on port {port} stopped during startup")
        yield RunningServer(f"http://127.0.0.1:{port}", port, server)
    finally:
        server.should_exit = True
        with contextlib.suppress(asyncio.CancelledError, Exception):
            await asyncio.wait_for(task, timeout=15)
        sock.close()
