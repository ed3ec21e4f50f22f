"""The bank file in each format (UTF-8 with or without BOM, GBK, GB18030; fen or yuan): what is
written, that the trailer is the same audit head in every format, and that the bank's result
file sent back in that format (GBK names and reasons, yuan amounts) is imported."""

import csv
import io
from typing import Any

import pytest

from services.subsidies.bankfile.domain import parse_results
from services.subsidies.payments.domain import yuan
from tests.subsidies.factories import (
    API,
    AUDITOR,
    CLERK,
    get_app,
    get_fund,
    make_batch,
    ready_applications,
    register_payee,
)

FORMATS = [
    ("utf-8", "fen"),
    ("utf-8", "yuan"),
    ("utf-8-sig", "fen"),
    ("utf-8-sig", "yuan"),
    ("gbk", "fen"),
    ("gbk", "yuan"),
    ("gb18030", "yuan"),
]


async def export_as(svc, batch_id: str, encoding: str, amounts: str) -> Any:  # type: ignore[no-untyped-def]
    return await svc.client.post(
        f"{API}/batches/{batch_id}/export",
        params={"encoding": encoding, "amounts": amounts},
        headers=CLERK,
    )


def read_file(raw: bytes, encoding: str) -> tuple[list[dict[str, str]], str]:
    """The payment lines and the trailer of a file in ``encoding``."""
    text = raw.decode(encoding)
    *rows, trailer = text.split("\r\n")[:-1]
    return list(csv.DictReader(io.StringIO("\r\n".join(rows) + "\r\n"))), trailer


class TestPaymentFileFormats:
    async def test_the_default_is_unchanged(self, subsidies, feed):
        await ready_applications(subsidies, feed, 1)
        batch = await make_batch(subsidies)
        r = await subsidies.client.post(f"{API}/batches/{batch['id']}/export", headers=CLERK)
        assert r.status_code == 200
        assert r.headers["content-type"] == "text/csv; charset=utf-8"
        assert r.content.startswith(b"line_id,line_no,payee_name,account_number,bank_name,")
        [row], _ = read_file(r.content, "utf-8")
        assert row["amount_fen"] == "50000"

    @pytest.mark.parametrize(("encoding", "amounts"), FORMATS)
    async def test_round_trip_through_the_result_import(self, subsidies, feed, encoding, amounts):
        fund, apps = await ready_applications(subsidies, feed, 2)
        batch = await make_batch(subsidies)
        r = await export_as(subsidies, batch["id"], encoding, amounts)
        assert r.status_code == 200, r.text
        charset = "utf-8" if encoding == "utf-8-sig" else encoding
        assert r.headers["content-type"] == f"text/csv; charset={charset}"
        assert r.content.startswith(b"\xef\xbb\xbf") == (encoding == "utf-8-sig")
        rows, trailer = read_file(r.content, encoding)
        assert [row["payee_name"] for row in rows] == ["王小梅", "王小梅"]
        column = f"amount_{amounts}"
        assert [row[column] for row in rows] == ["500.00" if amounts == "yuan" else "50000"] * 2

        # The trailer is the audit entry of this export, the same line in every format.
        r = await subsidies.client.get(
            f"{API}/audit", params={"entity_id": batch["id"]}, headers=AUDITOR
        )
        exported = next(e for e in r.json()["items"] if e["action"] == "batch.exported")
        assert trailer == f"# audit-head seq={exported['seq']} hash={exported['hash']}"
        assert (exported["reason"] is None) == ((encoding, amounts) == ("utf-8", "fen"))
        for other in ("utf-8", "gbk"):
            again = await subsidies.client.get(
                f"{API}/batches/{batch['id']}/file",
                params={"encoding": other, "amounts": "yuan"},
                headers=CLERK,
            )
            assert read_file(again.content, other)[1] == trailer

        # The bank answers in the same format: GBK names and reasons, amounts in yuan.
        amount = rows[0][column]
        result = (
            f"line_id,status,{column},bank_reference,reason\r\n"
            f"{rows[0]['line_id']},paid,{amount},BANK-001,\r\n"
            f"{rows[1]['line_id']},failed,{amount},,账户已销户（王小梅）\r\n"
        ).encode(encoding)
        r = await subsidies.client.post(
            f"{API}/batches/{batch['id']}/results",
            headers=CLERK | {"Content-Type": "text/csv"},
            content=result,
        )
        assert r.status_code == 200, r.text
        assert (r.json()["paid"], r.json()["failed"], r.json()["state"]) == (1, 1, "reconciled")
        r = await subsidies.client.get(f"{API}/batches/{batch['id']}", headers=AUDITOR)
        failed = next(line for line in r.json()["lines"] if line["status"] == "failed")
        assert failed["failure_reason"] == "账户已销户（王小梅）"
        f = await get_fund(subsidies, fund["id"])
        assert (f["paid_fen"], f["reserved_fen"]) == (50_000, 50_000)
        states = sorted([(await get_app(subsidies, a["id"]))["state"] for a in apps])
        assert states == ["failed", "paid"]

    async def test_a_gbk_file_declared_as_gbk_and_a_wrong_yuan_amount(self, subsidies, feed):
        await ready_applications(subsidies, feed, 1)
        batch = await make_batch(subsidies)
        [row], _ = read_file(
            (await export_as(subsidies, batch["id"], "gbk", "yuan")).content, "gbk"
        )
        url = f"{API}/batches/{batch['id']}/results"
        header = "line_id,status,amount_yuan,bank_reference,reason\r\n"
        for amount in ("500.01", "50000", "500.001", "5e2", "-500.00"):
            body = (header + f"{row['line_id']},paid,{amount},B1,\r\n").encode("gbk")
            r = await subsidies.client.post(
                url, headers=CLERK | {"Content-Type": "text/csv; charset=GBK"}, content=body
            )
            assert r.status_code == 422, amount
            assert "amount_yuan must be 500.00" in r.json()["problems"][0]["problem"]
        for amount in ("500", "500.0", "500.00"):  # the same amount, written shorter
            body = (header + f"{row['line_id']},paid,{amount},B1,\r\n").encode("gbk")
            r = await subsidies.client.post(
                url, headers=CLERK | {"Content-Type": "text/csv; charset=gbk"}, content=body
            )
            assert r.status_code == 200, (amount, r.text)

    async def test_a_name_gbk_cannot_write_refuses_the_export(self, subsidies, feed):
        _, [app] = await ready_applications(subsidies, feed, 1)
        await register_payee(subsidies, app["beneficiary_id"], name="𠮷野家")  # not in GBK
        # The new account replaced the first: make the batch now.
        batch = await make_batch(subsidies)
        r = await export_as(subsidies, batch["id"], "gbk", "yuan")
        assert r.status_code == 422, r.text
        assert r.json()["problems"] == [{"line_no": 1, "problem": "not writable in gbk"}]
        assert "𠮷" not in r.text
        r = await subsidies.client.get(f"{API}/batches/{batch['id']}", headers=AUDITOR)
        assert r.json()["state"] == "draft"  # nothing exported
        r = await export_as(subsidies, batch["id"], "gb18030", "yuan")
        assert r.status_code == 200
        assert read_file(r.content, "gb18030")[0][0]["payee_name"] == "𠮷野家"


class TestAmountsInYuan:
    @pytest.mark.parametrize(
        ("fen", "shown"),
        [(0, "0.00"), (5, "0.05"), (50, "0.50"), (50_000, "500.00"), (12_345, "123.45"),
         (10**13, "100000000000.00"), (-1_234, "-12.34")],
    )  # fmt: skip
    def test_exact_from_fen(self, fen, shown):
        assert yuan(fen) == shown

    def test_an_undeclared_file_that_is_not_utf8_is_read_as_gbk(self):
        import uuid

        line = uuid.uuid4()
        body = f"line_id,status,amount_yuan,bank_reference,reason\r\n{line},failed,0.05,,销户\r\n"
        [result] = parse_results(body.encode("gbk"), {line: 5})
        assert result.reason == "销户"
        [result] = parse_results(body.encode("utf-8-sig"), {line: 5})
        assert result.reason == "销户"
