"""The PII scan of the test run (RELIABILITY row 26), as a pytest plugin loaded by
tests/conftest.py.

While the suite runs it learns the phones and bank accounts the tests send (every request body of
an httpx client) and scans, for ID numbers in clear and for those phones and accounts:

- every response body an httpx client of the tests reads (services, gateway, in-process or not),
  except the few whose purpose is to carry the data in clear (ALLOWED_IN_CLEAR);
- every log line: what pytest captured of each test's setup, call and teardown (stdout, stderr
  and log records; the services log JSON lines to stdout);
- every message of every stream of the run's nats-server (the KV buckets are streams too), read
  just before that server stops.

At the end it lists what it found and fails the run if anything was. Runs with ``-s`` (nothing
captured) cannot see the logs; the summary says so."""

import asyncio
import re
import threading
from collections.abc import Generator
from typing import Any

import httpx
import pytest

from tests.pii.scanner import PiiScan

SCAN = PiiScan()
STATE: dict[str, Any] = {"streams": [], "errors": []}

# Responses whose purpose is to hand personal data to the one who may have it: the bank file
# (account numbers are what the bank pays; only the paying clerk may download it). And the API
# documents, whose request examples are fixed, published sample values (an example ID number
# must pass the MOD 11-2 check for "try it out" to work); they hold nothing a test created.
ALLOWED_IN_CLEAR = (
    re.compile(r"^/v1/subsidies/batches/[^/]+/(file|export)$"),
    re.compile(r"^/openapi\.json$"),
)


def _allowed(path: str) -> bool:
    return any(p.match(path) for p in ALLOWED_IN_CLEAR)


def _learn_request(request: httpx.Request) -> None:
    try:
        content = request.content
    except httpx.RequestNotRead:
        return
    if content:
        SCAN.learn(content)


def _scan_response(request: httpx.Request, response: httpx.Response) -> None:
    if _allowed(request.url.path):
        return
    try:
        content = response.content
    except httpx.ResponseNotRead:
        return
    SCAN.scan(content, f"response to {request.method} {request.url.path}", "response")


_async_send = httpx.AsyncClient.send
_sync_send = httpx.Client.send


async def _recording_async_send(self: httpx.AsyncClient, request: httpx.Request, **kw: Any) -> Any:
    _learn_request(request)
    response = await _async_send(self, request, **kw)
    if not kw.get("stream"):
        _scan_response(request, response)
    return response


def _recording_sync_send(self: httpx.Client, request: httpx.Request, **kw: Any) -> Any:
    _learn_request(request)
    response = _sync_send(self, request, **kw)
    if not kw.get("stream"):
        _scan_response(request, response)
    return response


def pytest_configure(config: pytest.Config) -> None:
    httpx.AsyncClient.send = _recording_async_send  # type: ignore[method-assign]
    httpx.Client.send = _recording_sync_send  # type: ignore[method-assign]


def pytest_unconfigure(config: pytest.Config) -> None:
    httpx.AsyncClient.send = _async_send  # type: ignore[method-assign]
    httpx.Client.send = _sync_send  # type: ignore[method-assign]


def pytest_runtest_logreport(report: pytest.TestReport) -> None:
    for name, content in report.sections:
        SCAN.scan(content, f"{name} of {report.nodeid}", "log section")


def pytest_collectreport(report: pytest.CollectReport) -> None:
    for name, content in report.sections:
        SCAN.scan(content, f"{name} while collecting {report.nodeid}", "log section")


@pytest.hookimpl(wrapper=True)
def pytest_fixture_setup(fixturedef: pytest.FixtureDef[Any], request: Any) -> Generator[None]:
    value = yield
    if fixturedef.argname == "nats_url" and isinstance(value, str):
        # Registered after the fixture's own teardown, so it runs first: the server still runs.
        fixturedef.addfinalizer(lambda: scan_streams_now(value))
    return value  # type: ignore[return-value]


def scan_streams_now(url: str) -> None:
    """Read every stream of the server at ``url`` (in a thread: pytest's loop is not running)."""

    def run() -> None:
        try:
            STATE["streams"] += asyncio.run(scan_streams(url, SCAN))
        except Exception as exc:  # reported, and the run fails: an unread stream is not clean
            STATE["errors"].append(f"reading the streams of {url}: {exc!r}")

    thread = threading.Thread(target=run, name="pii-scan-streams")
    thread.start()
    thread.join(timeout=300)


async def scan_streams(url: str, scan: PiiScan) -> list[str]:
    """Scan every message of every stream on ``url``; returns the streams' names."""
    from nats.js.errors import NotFoundError

    from tests.support.infra import connect_harness

    names = []
    nc = await connect_harness(url)
    try:
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
    finally:
        await nc.close()
    return names


def pytest_sessionfinish(session: pytest.Session) -> None:
    if SCAN.findings() or STATE["errors"]:
        session.exitstatus = pytest.ExitCode.TESTS_FAILED


def pytest_terminal_summary(terminalreporter: Any, config: pytest.Config) -> None:
    findings = SCAN.findings()
    counts = ", ".join(f"{kind}: {n}" for kind, n in sorted(SCAN.counts.items())) or "nothing"
    capture = config.getoption("capture", "fd")
    blind = " (logs not captured: run without -s to scan them)" if capture == "no" else ""
    head = (
        f"PII scan: {counts} from {len(STATE['streams'])} streams{blind}; "
        f"learned {len(SCAN.phones)} phones and {len(SCAN.accounts)} accounts the tests created"
    )
    if not findings and not STATE["errors"]:
        terminalreporter.write_line(f"{head}: nothing in clear.")
        return
    terminalreporter.section("PII in clear", sep="=", red=True)
    terminalreporter.write_line(head)
    for error in STATE["errors"]:
        terminalreporter.write_line(f"ERROR {error}", red=True)
    for finding in findings[:200]:
        terminalreporter.write_line(str(finding), red=True)
    if len(findings) > 200:
        terminalreporter.write_line(f"... and {len(findings) - 200} more")
