"""The PII scan of the test run (RELIABILITY row 26), as a pytest plugin loaded by
tests/conftest.py.

While the suite runs it learns the phones and bank accounts the tests send (every request body of
an httpx client) and scans, for ID numbers in clear and for those phones and accounts:

- every response body an httpx client of the tests reads (services, gateway, in-process or not),
  except the few whose purpose is to carry the data in clear (ALLOWED_IN_CLEAR);
- every response the fuzzer's ``requests`` reads (``observe_exchange``, from tests/fuzz);
- every log line: what pytest captured of each test's setup, call and teardown (stdout, stderr
  and log records; the services log JSON lines to stdout), and the log files of the processes
  the launcher tests start (``scan_process_logs``); the fault harness scans its own processes'
  logs and streams (tests/chaos/run.py);
- every message of every stream of the run's nats-server (the KV buckets are streams too), read
  just before that server stops.

At the end it lists what it found and fails the run if anything was. Runs with ``-s`` (nothing
captured) cannot see the logs; the summary says so."""

import asyncio
import threading
from collections.abc import Generator, Iterable
from pathlib import Path
from typing import Any

import pytest

from tests.pii.recording import learn_request, record_httpx, scan_files, scan_response
from tests.pii.recording import scan_streams as scan_streams_of
from tests.pii.scanner import PiiScan

SCAN = PiiScan()
STATE: dict[str, Any] = {"streams": [], "errors": []}


def pytest_configure(config: pytest.Config) -> None:
    STATE["undo"] = record_httpx(SCAN)


def pytest_unconfigure(config: pytest.Config) -> None:
    if undo := STATE.pop("undo", None):
        undo()


def observe_exchange(method: str, path: str, sent: bytes | str | None, body: bytes) -> None:
    """One request and its answer made by a client other than httpx (the fuzzer's ``requests``)."""
    learn_request(SCAN, sent)
    scan_response(SCAN, method, path, body)


def scan_process_logs(paths: Iterable[Path]) -> None:
    """The log files of processes a test started (a launcher's, the fault harness's): their
    output never reaches pytest's capture."""
    scan_files(SCAN, paths)


def scan_process_output(text: str, where: str) -> None:
    """What a process a test ran printed, kept by the test rather than by pytest."""
    SCAN.scan(text, f"output of {where}", "process log")


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
    from tests.support.infra import connect_harness

    nc = await connect_harness(url)
    try:
        return await scan_streams_of(nc, scan)
    finally:
        await nc.close()


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
