"""Feeding a :class:`~tests.pii.scanner.PiiScan` from outside pytest's own capture: the requests
and responses of httpx clients, the log files of processes the tests or the fault harness start,
and the messages of a nats-server's streams. The pytest plugin (``plugin.py``) uses these for the
suite; the fault harness (``tests/chaos/run.py``) uses them for its long run, which is no test."""

import contextlib
import re
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

import httpx

from tests.pii.scanner import PiiScan

# Responses whose purpose is to hand personal data to the one who may have it: the bank file
# (account numbers are what the bank pays; only the paying clerk may download it). And the API
# documents, whose request examples are fixed, published sample values (an example ID number
# must pass the MOD 11-2 check for "try it out" to work); they hold nothing a test created.
ALLOWED_IN_CLEAR = (
    re.compile(r"^/v1/subsidies/batches/[^/]+/(file|export)$"),
    re.compile(r"^/openapi\.json$"),
)


def allowed(path: str) -> bool:
    return any(p.match(path) for p in ALLOWED_IN_CLEAR)


def learn_request(scan: PiiScan, content: bytes | str | None) -> None:
    if content:
        scan.learn(content)


def scan_response(scan: PiiScan, method: str, path: str, content: bytes | str) -> None:
    if not allowed(path):
        scan.scan(content, f"response to {method} {path}", "response")


def record_httpx(scan: PiiScan) -> Callable[[], None]:
    """Until the returned function is called, every httpx client of this process teaches ``scan``
    what it sends and has every body it reads scanned (streamed responses excepted)."""
    async_send, sync_send = httpx.AsyncClient.send, httpx.Client.send

    def seen(request: httpx.Request, response: httpx.Response, streamed: bool) -> None:
        if streamed:
            return
        try:
            content = response.content
        except httpx.ResponseNotRead:
            return
        scan_response(scan, request.method, request.url.path, content)

    def learn(request: httpx.Request) -> None:
        with contextlib.suppress(httpx.RequestNotRead):
            learn_request(scan, request.content)

    async def recording_async(self: httpx.AsyncClient, request: httpx.Request, **kw: Any) -> Any:
        learn(request)
        response = await async_send(self, request, **kw)
        seen(request, response, bool(kw.get("stream")))
        return response

    def recording_sync(self: httpx.Client, request: httpx.Request, **kw: Any) -> Any:
        learn(request)
        response = sync_send(self, request, **kw)
        seen(request, response, bool(kw.get("stream")))
        return response

    httpx.AsyncClient.send = recording_async  # type: ignore[method-assign]
    httpx.Client.send = recording_sync  # type: ignore[method-assign]

    def undo() -> None:
        httpx.AsyncClient.send = async_send  # type: ignore[method-assign]
        httpx.Client.send = sync_send  # type: ignore[method-assign]

    return undo


def scan_files(scan: PiiScan, paths: Iterable[Path], kind: str = "process log") -> int:
    """Scan every file (a process's log, a launcher's output); returns how many were read."""
    read = 0
    for path in paths:
        if path.is_file():
            scan.scan(path.read_bytes(), f"{kind} {path}", kind)
            read += 1
    return read


async def scan_streams(nc: Any, scan: PiiScan) -> list[str]:
    """Scan every message (data and headers) of every stream the connection ``nc`` can read;
    returns the streams' names."""
    from nats.js.errors import NotFoundError

    names = []
    js = nc.jetstream()
    for info in await js.streams_info():
        name = info.config.name
        names.append(name)
        first, last = info.state.first_seq, info.state.last_seq
        for seq in range(first, last + 1) if info.state.messages else ():
            try:
                msg = await js.get_msg(name, seq)
            except NotFoundError:
                continue
            where = f"stream {name} message {seq} ({msg.subject})"
            scan.scan(msg.data or b"", where, "stream message")
            if msg.headers:
                scan.scan(repr(msg.headers), f"headers of {where}", "stream headers")
    return names
