"""Flows across services, through the gateway only, as the program's users run them."""

import csv
import io
import json
import re
from datetime import date

from shared.pii import is_valid_national_id
from tests.support.infra import connect_harness, wait_until

NATIONAL_ID = "520522199003071233"  # Weng'an county code, valid MOD 11-2 check digit
PHONE = "13985012345"
ACCOUNT = "6222020200112233445"
ID_SHAPE = re.compile(r"(?<![0-9A-Za-z])\d{17}[\dXx](?![0-9A-Za-z])")


async def all_stream_payloads(nats_url: str, namespace: str) -> list[bytes]:
    nc = await connect_harness(nats_url)
    js = nc.jetstream()
    payloads = []
    for stream in ("JOBS", "PRODUCTS", "SUBSIDIES"):
        name = f"{namespace.upper()}_{stream}"
        info = await js.stream_info(name)
        if info.state.messages == 0:
            continue
        for seq in range(info.state.first_seq, info.state.last_seq + 1):
            payloads.append((await js.get_msg(name, seq)).data or b"")
    await nc.close()
    return payloads


class TestStableEmploymentSubsidy:
    """A Haizhu partner keeps a registered-poor Weng'an worker three months; the bureau pays
    the partner the stable-employment subsidy."""

    async def test_from_job_posting_to_paid_subsidy(self, platform, nats_url, namespace, capsys):
        assert is_valid_national_id(NATIONAL_ID)
        api, seen = platform.client, []

        async def call(method, url, headers, **kw):
            r = await api.request(method, url, headers=headers, **kw)
            seen.append(r.text)
            return r

        admin = await platform.admin()
        clerk = await platform.staff(admin, "clerk", "bureau_clerk")
        clerk2 = await platform.staff(admin, "clerk2", "bureau_clerk")
        approver = await platform.staff(admin, "approver", "bureau_approver")
        auditor = await platform.staff(admin, "auditor", "auditor")

        # The bureau sets up the program and its fund (Guangzhou aid).
        fund = await call(
            "POST",
            "/v1/subsidies/funds",
            admin,
            json={"code": "gz-aid", "name": "Guangzhou aid", "budget_fen": 156_000_00},
        )
        assert fund.status_code == 201, fund.text
        program = await call(
            "POST",
            "/v1/subsidies/programs",
            admin,
            json={
                "code": "stable-employment",
                "name": "Stable-employment subsidy (稳岗补贴)",
                "fund_id": fund.json()["id"],
                "employer_kind": "haizhu_partner",
                "beneficiary_kind": "employer",
                "amount_rule": "one_off",
                "amount_fen": 500_000,
                "required_months": 3,
                "poor_only": True,
                "notice_days": 0,
                "valid_from": "2026-01-01",
            },
        )
        assert program.status_code == 201, program.text

        # A Haizhu partner organisation and its API key.
        employer = await call(
            "POST",
            "/v1/jobs/employers",
            admin,
            json={
                "kind": "haizhu_partner",
                "name": "Guangzhou Pearl River Electronics",
                "location": "Haizhu",
            },
        )
        assert employer.status_code == 201, employer.text
        employer_id = employer.json()["id"]
        partner = await platform.api_key(admin, "partner", employer_id)

        # The bureau registers a registered-poor worker from Houchang.
        worker = await call(
            "POST",
            "/v1/jobs/workers",
            clerk,
            json={
                "name": "王小梅",
                "national_id": NATIONAL_ID,
                "phone": PHONE,
                "township": "Houchang",
                "poor_household": True,
                "skills": ["assembly"],
            },
        )
        assert worker.status_code == 201, worker.text
        worker_id = worker.json()["id"]

        # The partner posts a job; the public board shows it.
        posting = await call(
            "POST",
            "/v1/jobs/postings",
            partner,
            json={
                "title": "Assembly line operator",
                "category": "manufacturing",
                "employment_type": "full_time",
                "district": "Haizhu",
                "salary_min_fen": 450_000,
                "salary_max_fen": 600_000,
                "openings": 5,
                "housing": True,
                "meals": True,
                "valid_through": "2027-06-30",
            },
        )
        assert posting.status_code == 201, posting.text
        posting_id = posting.json()["id"]
        assert (
            await call("POST", f"/v1/jobs/postings/{posting_id}/publish", partner)
        ).status_code == 200
        board = await call("GET", "/v1/jobs/postings", {})
        assert [p["id"] for p in board.json()["items"]] == [posting_id]

        # The partner hires the worker and confirms three months; the request id of the hire
        # travels to the subsidies service's consumer.
        start = date(2026, 6, 1)
        placement = await call(
            "POST",
            "/v1/jobs/placements",
            partner | {"X-Request-ID": "e2e-hire-0001"},
            json={
                "worker_id": worker_id,
                "posting_id": posting_id,
                "start_date": start.isoformat(),
                "monthly_wage_fen": 520_000,
            },
        )
        assert placement.status_code == 201, placement.text
        placement_id = placement.json()["id"]
        for month in ("2026-06", "2026-07", "2026-08"):
            r = await call(
                "POST",
                f"/v1/jobs/placements/{placement_id}/confirmations",
                partner,
                json={"month": month, "wage_paid_fen": 520_000},
            )
            assert r.status_code == 201, r.text

        # The subsidies service saw the events and opened an application for the employer.
        async def application():
            r = await call(
                "GET", "/v1/subsidies/applications?program_code=stable-employment", auditor
            )
            items = r.json()["items"]
            return items[0] if items else None

        app = await wait_until(application, timeout=30, what="the stable-employment application")
        assert app["beneficiary_id"] == employer_id
        assert app["amount_fen"] == 500_000
        assert app["state"] == "pending_verification"

        # Maker-checker: the clerk verifies, the approver approves; the clerk cannot approve.
        assert (
            await call("POST", f"/v1/subsidies/applications/{app['id']}/verify", clerk)
        ).status_code == 200
        refused = await call("POST", f"/v1/subsidies/applications/{app['id']}/approve", clerk)
        assert refused.status_code == 403
        approved = await call("POST", f"/v1/subsidies/applications/{app['id']}/approve", approver)
        assert approved.status_code == 200, approved.text

        # Payment: a second clerk enters the payee's account (whoever enters an account may not
        # export the batch that pays it), a batch, the bank file and the bank's answer.
        payee = await call(
            "POST",
            "/v1/subsidies/payees",
            clerk2,
            json={
                "beneficiary_kind": "employer",
                "beneficiary_id": employer_id,
                "holder_name": "Guangzhou Pearl River Electronics",
                "account_number": ACCOUNT,
                "bank_name": "Industrial and Commercial Bank of China, Haizhu",
            },
        )
        assert payee.status_code == 201, payee.text
        assert ACCOUNT not in payee.text
        batch = await call("POST", "/v1/subsidies/batches", clerk, json={})
        assert batch.status_code == 201, batch.text
        exported = await api.post(
            f"/v1/subsidies/batches/{batch.json()['id']}/export", headers=clerk
        )
        assert exported.status_code == 200, exported.text
        # The payment lines; the last line is the audit-head trailer, not a payment.
        *lines, trailer = csv.DictReader(io.StringIO(exported.text))
        assert trailer["line_id"].startswith("# audit-head seq=")
        assert [(line["account_number"], line["amount_fen"]) for line in lines] == [
            (ACCOUNT, "500000")
        ]
        result = (
            "line_id,status,amount_fen,bank_reference,reason\r\n"
            f"{lines[0]['line_id']},paid,500000,ICBC-20261201-0001,\r\n"
        )
        imported = await call(
            "POST",
            f"/v1/subsidies/batches/{batch.json()['id']}/results",
            clerk,
            content=result.encode(),
        )
        assert imported.status_code == 200, imported.text

        paid = await call("GET", f"/v1/subsidies/applications/{app['id']}", auditor)
        assert paid.json()["state"] == "paid"
        funds = await call("GET", f"/v1/subsidies/funds/{fund.json()['id']}", auditor)
        assert funds.json()["paid_fen"] == 500_000
        stats = await call("GET", "/v1/jobs/statistics", auditor)
        assert stats.json()["placements"] == 1

        # Logs: the hire's request id reached the subsidies consumer.
        out = capsys.readouterr().out
        records = [json.loads(line) for line in out.splitlines() if line.startswith("{")]
        assert any(
            r.get("service") == "subsidies"
            and r.get("event") == "event_applied"
            and r.get("request_id") == "e2e-hire-0001"
            for r in records
        ), "the request id of the hire did not travel to the subsidies consumer"

        # Personal data: the ID number and phone appear in no log line, no event and no
        # response; the account number only in the bank file.
        streams = await all_stream_payloads(nats_url, namespace)
        for where, text in (
            ("logs", out),
            ("events", b"\n".join(streams).decode()),
            ("responses", "\n".join(seen)),
        ):
            assert NATIONAL_ID not in text and PHONE not in text, where
            assert ACCOUNT not in text, where
            leaked = [m for m in ID_SHAPE.findall(text) if is_valid_national_id(m)]
            assert leaked == [], where


class TestFlagshipStoreSales:
    """A flagship store reports sales through the gateway; the bureau sees them by township."""

    async def test_sales_reported_with_retries_reach_statistics(self, platform):
        api = platform.client
        admin = await platform.admin()
        auditor = await platform.staff(admin, "auditor", "auditor")
        supplier = await api.post(
            "/v1/products/suppliers",
            headers=admin,
            json={
                "name": "Houchang Tea Cooperative",
                "kind": "cooperative",
                "township": "Houchang",
                "poor_households_linked": 128,
            },
        )
        assert supplier.status_code == 201, supplier.text
        product = await api.post(
            "/v1/products/catalogue",
            headers=admin,
            json={
                "sku": "WA-TEA-250",
                "name": "Weng'an yellow tea 250 g",
                "category": "tea",
                "supplier_id": supplier.json()["id"],
                "unit": "box",
                "net_weight_grams": 250,
                "list_price_fen": 16_800,
            },
        )
        assert product.status_code == 201, product.text
        stores = []
        for name in ("Jiangnan West flagship store", "Haizhu exhibition centre"):
            r = await api.post(
                "/v1/products/stores",
                headers=admin,
                json={"name": name, "kind": "flagship_store", "address": "Haizhu, Guangzhou"},
            )
            assert r.status_code == 201, r.text
            stores.append((r.json()["id"], await platform.api_key(admin, "store", r.json()["id"])))
        (store_a, key_a), (_, key_b) = stores

        sale = {
            "receipt_number": "HZ01-0001",
            "sold_at": "2026-11-20T06:30:00Z",
            "lines": [{"sku": "WA-TEA-250", "quantity": 4, "unit_price_fen": 16_800}],
        }
        first = await api.post(
            "/v1/products/stores/me/sales",
            json=sale,
            headers=key_a | {"Idempotency-Key": "pos-7-0001"},
        )
        assert first.status_code == 201, first.text
        retry = await api.post(
            "/v1/products/stores/me/sales",
            json=sale,
            headers=key_a | {"Idempotency-Key": "pos-7-0001"},
        )
        assert (retry.status_code, retry.json()) == (201, first.json())
        assert retry.headers["idempotent-replayed"] == "true"
        # Store B's identical key is its own; B cannot read A's sale.
        other = await api.get(f"/v1/products/stores/me/sales/{first.json()['id']}", headers=key_b)
        assert other.status_code == 404

        stats = await api.get(
            "/v1/products/statistics",
            headers=auditor,
            params={"group_by": "township", "from": "2026-11-01", "to": "2026-11-30"},
        )
        assert stats.status_code == 200, stats.text
        rows = stats.json()["rows"]
        assert [(r["township"], r["grams"], r["fen"], r["yuan"]) for r in rows] == [
            ("Houchang", 4 * 250, 4 * 16_800, "672.00")
        ]
        assert store_a in first.text
