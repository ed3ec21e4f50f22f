"""The PII scan sees what it must: ID numbers by their check character, the phones and accounts
the run created, in log lines, response bodies and stream messages — and fails the run."""

import os
import subprocess
import sys
import textwrap
import uuid
from pathlib import Path

import pytest

from shared.pii import mask_account, mask_national_id, mask_phone, national_id_check_char
from tests.pii.plugin import scan_streams
from tests.pii.scanner import PiiScan, is_national_id
from tests.support.infra import NatsServer, connect_harness

ROOT = Path(__file__).resolve().parents[2]
FIRST17 = "52272519850312042"
CLEAR_ID = FIRST17 + national_id_check_char(FIRST17)


class TestScanner:
    def test_a_clear_id_is_found_by_its_check_character(self):
        scan = PiiScan()
        scan.scan(f'{{"event": "registered", "id": "{CLEAR_ID}"}}', "log")
        [finding] = scan.findings()
        assert (finding.kind, finding.value) == ("national_id", CLEAR_ID)

    def test_masked_or_invalid_ids_are_not(self):
        wrong = FIRST17 + ("1" if CLEAR_ID[-1] != "1" else "2")
        scan = PiiScan()
        scan.scan(f"{mask_national_id(CLEAR_ID)} {wrong} x{CLEAR_ID} {CLEAR_ID}0", "log")
        assert scan.findings() == []
        assert not is_national_id("522725198513320421")  # month 13: not a birth date

    def test_phones_and_accounts_only_when_the_run_created_them(self):
        scan = PiiScan()
        scan.learn(
            b'{"worker": {"phone": "139 1234 0001"}, "account_number": "6222020200112233445"}'
        )
        scan.scan("called 139-1234-0001, paid 6222020200112233445", "log")
        scan.scan("order 13812345678 and 4000000000001234", "log")  # shapes, not created
        found = {(f.kind, f.value) for f in scan.findings()}
        assert found == {("phone", "13912340001"), ("account", "6222020200112233445")}
        masked = PiiScan()
        masked.learn(b'{"phone": "13912340001", "account_number": "6222020200112233445"}')
        masked.scan(f"{mask_phone('13912340001')} {mask_account('6222020200112233445')}", "log")
        assert masked.findings() == []

    def test_the_line_ids_of_an_uploaded_bank_file_are_not_accounts(self):
        # A UUID's last group is all decimal about once in 300 (the fault harness met one).
        line_id = "0b7c2f1e-5d3a-4c8e-9f21-824922991016"
        scan = PiiScan()
        scan.learn(f"line_id,status\r\n{line_id},paid\r\n6222020200112233445,x\r\n")
        assert scan.accounts == {"6222020200112233445"}
        scan.scan(f'{{"line_id": "{line_id}"}}', "response")
        assert scan.findings() == []

    def test_a_uuid_whose_groups_join_into_a_created_phone_is_not_one(self):
        # The logging tests keep such a UUID whole in a log line; a console test had created
        # the phone 13800138000 earlier in the same run.
        scan = PiiScan()
        scan.learn(b'{"phone": "13800138000"}')
        scan.scan("looked up 0b9c7a1e-a138-0013-8000-1f2d3c4b5a69", "log")
        assert scan.findings() == []
        scan.scan("called 138-0013-8000", "log")  # the phone itself, hyphenated, still is
        assert [f.value for f in scan.findings()] == ["13800138000"]

    def test_a_log_line_seen_before_the_request_still_counts(self):
        scan = PiiScan()
        scan.scan("phone 13912340002", "log")
        scan.learn(b'{"phone": "13912340002"}')
        assert [f.value for f in scan.findings()] == ["13912340002"]


async def test_stream_messages_are_read():
    server = NatsServer().start()
    try:
        nc = await connect_harness(server.url)
        js = nc.jetstream()
        name = f"PII{uuid.uuid4().hex[:8].upper()}"
        await js.add_stream(name=name, subjects=[f"{name.lower()}.>"])
        await js.publish(f"{name.lower()}.worker", b'{"national_id": "%s"}' % CLEAR_ID.encode())
        await js.publish(f"{name.lower()}.worker", b'{"national_id": "masked"}')
        await nc.close()
        scan = PiiScan()
        await scan_streams(server.url, scan)
    finally:
        server.stop()
    [finding] = scan.findings()
    assert finding.value == CLEAR_ID
    assert f"stream {name} message 1" in finding.where


PLANTED = textwrap.dedent(
    """
    import httpx

    def test_logs_an_id():
        print('{"event": "worker_registered", "national_id": "%(id)s"}')

    def test_answers_a_phone():
        def echo(request):
            return httpx.Response(200, content=request.content)

        with httpx.Client(transport=httpx.MockTransport(echo)) as client:
            client.post("http://svc/v1/jobs/workers", json={"phone": "13912340003"})
    """
)
CLEAN = textwrap.dedent(
    """
    import httpx

    def test_masks():
        print('{"event": "worker_registered", "national_id": "%(masked)s"}')

        def masked(request):
            return httpx.Response(200, json={"phone": "139****0003"})

        with httpx.Client(transport=httpx.MockTransport(masked)) as client:
            client.post("http://svc/v1/jobs/workers", json={"phone": "13912340003"})
    """
)


def _run(tmp_path: Path, source: str) -> subprocess.CompletedProcess[str]:
    test = tmp_path / "test_planted.py"
    test.write_text(source % {"id": CLEAR_ID, "masked": mask_national_id(CLEAR_ID)})
    (tmp_path / "pytest.ini").write_text("[pytest]\n")
    return subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "tests.pii.plugin", "-p", "no:cacheprovider",
         str(test)],
        cwd=tmp_path,
        env=os.environ | {"PYTHONPATH": str(ROOT)},
        capture_output=True,
        text=True,
        timeout=120,
    )  # fmt: skip


class TestTheRunFails:
    def test_when_a_test_run_leaks(self, tmp_path):
        result = _run(tmp_path, PLANTED)
        assert result.returncode == pytest.ExitCode.TESTS_FAILED, result.stdout
        assert "2 passed" in result.stdout  # the tests pass; the scan fails the run
        assert f"national_id {CLEAR_ID} in Captured stdout call" in result.stdout
        assert "phone 13912340003 in response to POST /v1/jobs/workers" in result.stdout

    def test_not_when_everything_is_masked(self, tmp_path):
        result = _run(tmp_path, CLEAN)
        assert result.returncode == 0, result.stdout
        assert "nothing in clear" in result.stdout


class TestTheFaultHarness:
    def test_a_find_in_a_process_log_fails_its_run(self, tmp_path):
        from tests.chaos.checker import Report
        from tests.chaos.run import pii_verdict
        from tests.pii.recording import scan_files

        (tmp_path / "jobs.log").write_text('{"event": "worker_registered", "id": "masked"}\n')
        clean, leaked = PiiScan(), PiiScan()
        for scan in (clean, leaked):
            scan.learn(b'{"phone": "13912340004"}')
        assert scan_files(clean, sorted(tmp_path.glob("*.log"))) == 1
        report = Report()
        pii_verdict(report, clean, streams=5, logs=1)
        assert report.passed, report.problems

        (tmp_path / "subsidies.log").write_text('{"event": "payee", "phone": "13912340004"}\n')
        assert scan_files(leaked, sorted(tmp_path.glob("*.log"))) == 2
        report = Report()
        pii_verdict(report, leaked, streams=5, logs=2)
        assert not report.passed
        assert "13912340004" in report.invariants["no personal data in clear"]
        assert "subsidies.log" in report.problems[0]
