"""The workload: uniquely identified writes through the gateway, each recorded with what its
client was told. A write is retried (same Idempotency-Key, same body) while the answer is a
network error, a 5xx, a 429 or an in-flight 409, until its deadline; then it is *unknown*.

Writers run side by side: stores reporting sales one by one and in NDJSON batches; partners
hiring poor workers and confirming their months (each month makes a subsidy line downstream);
a reviewer verifying and approving the applications that appear; a payer making payment batches,
exporting them and importing the bank's results."""

import asyncio
import csv
import io
import itertools
import json
import random
import string
import time
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any

import httpx

from tests.chaos.platform import ADMIN_PASSWORD

RETRYABLE = {408, 429, 500, 502, 503, 504}
MONTHS = ("2026-01", "2026-02", "2026-03")
AMOUNT_FEN = 10_000  # per person-month
SKU_PRICE = {"CH-TEA-250": 16_800, "CH-RICE-5K": 5_900}
SKU_GRAMS = {"CH-TEA-250": 250, "CH-RICE-5K": 5_000}


@dataclass
class Op:
    """One write as its client saw it."""

    id: int
    kind: str  # sale, batch_sale, placement, confirmation, approval, payment
    key: dict[str, Any]
    started: float
    ended: float = 0.0
    outcome: str = "unknown"  # ok, fail, unknown
    status: int | None = None
    attempts: int = 0
    via: int = -1  # which gateway (index in the client's list) gave the last answer
    detail: str = ""
    result: dict[str, Any] = field(default_factory=dict)


class History:
    def __init__(self) -> None:
        self.ops: list[Op] = []
        self._ids = itertools.count(1)
        self.t0 = time.monotonic()

    def begin(self, kind: str, **key: Any) -> Op:
        op = Op(next(self._ids), kind, key, time.monotonic() - self.t0)
        self.ops.append(op)
        return op

    def writes(self) -> int:
        return len(self.ops)


def _letters(n: int) -> str:
    """A bank reference without digits (the PII scan takes long digit runs for accounts)."""
    return "".join(random.choices(string.ascii_uppercase, k=n))


def national_id(n: int) -> str:
    """A valid 18-character ID (MOD 11-2 check digit), unique per ``n`` within a run."""
    born = date(1970, 1, 1) + timedelta(days=n // 900)
    body = f"520522{born:%Y%m%d}{100 + n % 900:03d}"
    weights = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2]
    check = "10X98765432"[sum(int(d) * w for d, w in zip(body, weights, strict=True)) % 11]
    return body + check


class Client:
    """Calls through the gateway with retries; what it was told goes into the op.

    Given several gateways, writes start on each in turn and a retry goes to the next one, as
    a client behind a load balancer would see it: a dead gateway costs a retry, not the write.
    Setup calls go to the first."""

    def __init__(self, base_url: str | list[str], deadline: float) -> None:
        urls = [base_url] if isinstance(base_url, str) else base_url
        self.https = [
            httpx.AsyncClient(
                base_url=url,
                timeout=httpx.Timeout(25.0, connect=3.0),
                limits=httpx.Limits(max_connections=100, max_keepalive_connections=50),
            )
            for url in urls
        ]
        self.http = self.https[0]
        self.deadline = deadline  # seconds one write may take, retries included
        self._turn = itertools.count()

    async def close(self) -> None:
        for http in self.https:
            await http.aclose()

    async def write(
        self, op: Op, method: str, path: str, headers: dict[str, str], **kw: Any
    ) -> httpx.Response | None:
        end = time.monotonic() + self.deadline
        delay = 0.2
        turn = next(self._turn)
        while True:
            op.attempts += 1
            via = (turn + op.attempts - 1) % len(self.https)
            try:
                r = await self.https[via].request(method, path, headers=headers, **kw)
            except httpx.HTTPError as exc:
                op.detail = type(exc).__name__
            else:
                op.status, op.via = r.status_code, via
                in_flight = r.status_code == 409 and "Idempotency-Key" in r.text
                if r.status_code < 400:
                    op.outcome, op.detail = "ok", ""
                    op.ended = time.monotonic()
                    return r
                if r.status_code not in RETRYABLE and not in_flight:
                    op.outcome, op.detail = "fail", r.text[:300]
                    op.ended = time.monotonic()
                    return r
                op.detail = r.text[:200]
            if time.monotonic() > end:
                op.outcome = "unknown"
                op.ended = time.monotonic()
                return None
            await asyncio.sleep(delay)
            delay = min(delay * 1.5, 2.0)

    async def read(self, path: str, headers: dict[str, str], **kw: Any) -> httpx.Response | None:
        """A GET answered by the first gateway that answers (None if none does)."""
        for http in self.https:
            try:
                return await http.get(path, headers=headers, **kw)
            except httpx.HTTPError:
                continue
        return None

    async def setup_call(
        self,
        method: str,
        path: str,
        headers: dict[str, str],
        expect: int = 201,
        *,
        not_yet: str = "",
        **kw: Any,
    ) -> Any:
        """A setup step (before any fault): must succeed. ``not_yet``: a problem type that
        means "what this needs has not arrived by event yet": retried like a 5xx."""
        for _ in range(100):
            try:
                r = await self.http.request(method, path, headers=headers, **kw)
            except httpx.HTTPError:
                await asyncio.sleep(0.3)
                continue
            if r.status_code == expect:
                return r.json()
            waiting = bool(not_yet) and r.status_code == 422 and not_yet in r.text
            if r.status_code not in RETRYABLE and not waiting:
                raise RuntimeError(f"setup {method} {path}: {r.status_code} {r.text[:500]}")
            await asyncio.sleep(0.3)
        raise RuntimeError(f"setup {method} {path} never succeeded")


@dataclass
class World:
    admin: dict[str, str]
    clerk: dict[str, str]
    clerk2: dict[str, str]
    approver: dict[str, str]
    auditor: dict[str, str]
    fund_id: str
    stores: list[tuple[str, dict[str, str]]]
    partner: dict[str, str]
    employer_id: str
    posting_id: str
    workers: list[str]


async def login(client: Client, username: str, password: str) -> dict[str, str]:
    """Log in; the gateway creates the bootstrap admin just after it starts, so a 401 is
    retried for a while."""
    for _ in range(100):
        try:
            r = await client.http.post(
                "/v1/auth/login", json={"username": username, "password": password}
            )
        except httpx.HTTPError:
            r = None
        if r is not None and r.status_code == 200:
            return {"Authorization": f"Bearer {r.json()['access_token']}"}
        await asyncio.sleep(0.3)
    raise RuntimeError(f"login of {username} never succeeded")


async def setup(client: Client, run: str, *, stores: int, workers: int) -> World:
    """The minimal world, built through the API: staff, a fund and a program, a product, stores
    with keys, a partner with a key and an open posting, registered-poor workers."""
    admin = await login(client, "admin", ADMIN_PASSWORD)
    staff = {}
    for username, role in (
        ("clerk", "bureau_clerk"),
        ("clerk2", "bureau_clerk"),
        ("approver", "bureau_approver"),
        ("auditor", "auditor"),
    ):
        password = f"{username}-chaos-password-0123"
        await client.setup_call(
            "POST",
            "/v1/admin/users",
            admin,
            json={"username": username, "password": password, "role": role},
        )
        staff[username] = await login(client, username, password)

    async def api_key(role: str, subject_id: str) -> dict[str, str]:
        body = await client.setup_call(
            "POST",
            "/v1/admin/api-keys",
            admin,
            json={"name": f"{role} {subject_id[:8]}", "role": role, "subject_id": subject_id},
        )
        return {"Authorization": f"Bearer {body['key']}"}

    fund = await client.setup_call(
        "POST",
        "/v1/subsidies/funds",
        admin,
        json={"code": "chaos-fund", "name": "Chaos fund", "budget_fen": 10**12},
    )
    await client.setup_call(
        "POST",
        "/v1/subsidies/programs",
        admin,
        json={
            "code": "chaos-monthly",
            "name": "Monthly employment subsidy",
            "fund_id": fund["id"],
            "employer_kind": "haizhu_partner",
            "beneficiary_kind": "employer",
            "amount_rule": "per_person_month",
            "amount_fen": AMOUNT_FEN,
            "required_months": 1,
            "poor_only": True,
            "notice_days": 0,
            "valid_from": "2026-01-01",
        },
    )
    supplier = await client.setup_call(
        "POST",
        "/v1/products/suppliers",
        admin,
        json={
            "name": "Chaos co-op",
            "kind": "cooperative",
            "township": "Houchang",
            "poor_households_linked": 10,
        },
    )
    for sku, price in SKU_PRICE.items():
        await client.setup_call(
            "POST",
            "/v1/products/catalogue",
            admin,
            json={
                "sku": sku,
                "name": sku,
                "category": "tea",
                "supplier_id": supplier["id"],
                "unit": "box",
                "net_weight_grams": SKU_GRAMS[sku],
                "list_price_fen": price,
            },
        )
    store_keys = []
    for i in range(stores):
        store = await client.setup_call(
            "POST",
            "/v1/products/stores",
            admin,
            json={"name": f"Chaos store {i}", "kind": "flagship_store", "address": "Haizhu"},
        )
        store_keys.append((store["id"], await api_key("store", store["id"])))
    employer = await client.setup_call(
        "POST",
        "/v1/jobs/employers",
        admin,
        json={"kind": "haizhu_partner", "name": "Chaos Electronics", "location": "Haizhu"},
    )
    partner = await api_key("partner", employer["id"])
    posting = await client.setup_call(
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
            "openings": 10_000,
            "valid_through": "2027-06-30",
        },
    )
    await client.setup_call("POST", f"/v1/jobs/postings/{posting['id']}/publish", partner, 200)
    await client.setup_call(
        "POST",
        "/v1/subsidies/payees",
        staff["clerk2"],
        # The employer reaches subsidies by event: it may not be there yet.
        not_yet="urn:eastwest:problem:beneficiary-unknown",
        json={
            "beneficiary_kind": "employer",
            "beneficiary_id": employer["id"],
            "holder_name": "Chaos Electronics",
            "account_number": "6222020200112233445",
            "bank_name": "ICBC Haizhu",
        },
    )
    worker_ids = []
    for n in range(workers):
        worker = await client.setup_call(
            "POST",
            "/v1/jobs/workers",
            staff["clerk"],
            json={
                "name": f"Worker {n}",
                "national_id": national_id(n),
                "township": "Houchang",
                "poor_household": True,
            },
        )
        worker_ids.append(worker["id"])
    return World(
        admin,
        staff["clerk"],
        staff["clerk2"],
        staff["approver"],
        staff["auditor"],
        fund["id"],
        store_keys,
        partner,
        employer["id"],
        posting["id"],
        worker_ids,
    )


class Workload:
    def __init__(self, client: Client, world: World, history: History, run: str) -> None:
        self.client = client
        self.world = world
        self.history = history
        self.run = run
        self.stop = asyncio.Event()
        self.limit: int | None = None  # stop after this many writes
        self._receipts = itertools.count(1)

    def _done(self) -> bool:
        if self.limit is not None and self.history.writes() >= self.limit:
            self.stop.set()
        return self.stop.is_set()

    # -- sales ---------------------------------------------------------------------------------
    def _sale(self) -> dict[str, Any]:
        n = next(self._receipts)
        sku = "CH-TEA-250" if n % 3 else "CH-RICE-5K"
        return {
            "receipt_number": f"{self.run}-{n:07d}",
            "sold_at": (datetime.now(UTC) - timedelta(seconds=30)).isoformat(),
            "lines": [{"sku": sku, "quantity": 1 + n % 4, "unit_price_fen": SKU_PRICE[sku]}],
        }

    async def store_writer(self, store_id: str, key: dict[str, str]) -> None:
        for n in itertools.count():
            if self._done():
                return
            if n % 10 == 9:
                await self._batch(store_id, key)
                continue
            sale = self._sale()
            fen = sale["lines"][0]["quantity"] * sale["lines"][0]["unit_price_fen"]
            op = self.history.begin(
                "sale", store_id=store_id, receipt=sale["receipt_number"], fen=fen
            )
            await self.client.write(
                op,
                "POST",
                "/v1/products/stores/me/sales",
                key | {"Idempotency-Key": f"sale-{op.id}"},
                json=sale,
            )

    async def _batch(self, store_id: str, key: dict[str, str]) -> None:
        sales = [self._sale() for _ in range(5)]
        ops = [
            self.history.begin(
                "batch_sale",
                store_id=store_id,
                receipt=s["receipt_number"],
                fen=s["lines"][0]["quantity"] * s["lines"][0]["unit_price_fen"],
            )
            for s in sales
        ]
        carrier = Op(0, "batch", {}, 0)
        body = "\n".join(json.dumps(s) for s in sales) + "\n"
        r = await self.client.write(
            carrier,
            "POST",
            "/v1/products/stores/me/sales:batch",
            key | {"Idempotency-Key": f"batch-{ops[0].id}", "Content-Type": "application/x-ndjson"},
            content=body.encode(),
        )
        results = r.json().get("results", []) if r is not None and r.status_code == 200 else []
        for i, op in enumerate(ops):
            op.attempts, op.status, op.ended = carrier.attempts, carrier.status, carrier.ended
            op.via = carrier.via
            if carrier.outcome == "ok" and i < len(results):
                line = results[i]
                op.outcome = "ok" if line.get("status") in ("accepted", "recorded") else "fail"
                op.detail = "" if op.outcome == "ok" else json.dumps(line)[:200]
            else:
                op.outcome, op.detail = carrier.outcome, carrier.detail

    # -- placements and months -----------------------------------------------------------------
    async def partner_writer(self, workers: list[str], first_new: int, more: bool) -> None:
        """Hire each worker and confirm their months; when the workers made at setup are used
        up, register more (so that jobs events, and the faults that wait for them, keep
        coming until the workload stops)."""
        for n in itertools.count():
            if self._done():
                return
            if n < len(workers):
                worker_id = workers[n]
            elif not more:
                return
            else:
                new = await self._register_worker(first_new + 2 * (n - len(workers)))
                if new is None:
                    continue
                worker_id = new
            op = self.history.begin("placement", worker_id=worker_id)
            r = await self.client.write(
                op,
                "POST",
                "/v1/jobs/placements",
                self.world.partner | {"Idempotency-Key": f"hire-{worker_id}"},
                json={
                    "worker_id": worker_id,
                    "posting_id": self.world.posting_id,
                    "start_date": "2026-01-05",
                    "monthly_wage_fen": 520_000,
                },
            )
            if r is None or op.outcome != "ok":
                continue
            placement_id = r.json()["id"]
            op.result["placement_id"] = placement_id
            for month in MONTHS:
                if self.stop.is_set():
                    return
                confirm = self.history.begin("confirmation", placement_id=placement_id, month=month)
                await self.client.write(
                    confirm,
                    "POST",
                    f"/v1/jobs/placements/{placement_id}/confirmations",
                    self.world.partner | {"Idempotency-Key": f"month-{placement_id}-{month}"},
                    json={"month": month, "wage_paid_fen": 520_000},
                )
                if confirm.outcome != "ok":
                    break  # months go in order: a gap would refuse the next

    async def _register_worker(self, n: int) -> str | None:
        """A registered-poor worker (not a write the check classifies: a failed or unanswered
        registration is skipped)."""
        carrier = Op(0, "worker", {}, 0)
        r = await self.client.write(
            carrier,
            "POST",
            "/v1/jobs/workers",
            self.world.clerk,
            json={
                "name": f"Worker {n}",
                "national_id": national_id(n),
                "township": "Houchang",
                "poor_household": True,
            },
        )
        return r.json()["id"] if r is not None and carrier.outcome == "ok" else None

    # -- review and payment --------------------------------------------------------------------
    async def reviewer(self) -> None:
        seen: set[str] = set()
        while not self.stop.is_set():
            try:
                r = await self.client.read(
                    "/v1/subsidies/applications",
                    headers=self.world.auditor,
                    params={"state": "pending_verification", "limit": 50},
                )
                items = r.json()["items"] if r is not None and r.status_code == 200 else []
            except (ValueError, KeyError):
                items = []
            for app in items:
                if self.stop.is_set():
                    return
                if app["id"] in seen:
                    continue
                seen.add(app["id"])
                await self._review(app["id"])
            await asyncio.sleep(1.0)

    async def _review(self, app_id: str) -> None:
        verify = Op(0, "verify", {}, 0)
        r = await self.client.write(
            verify, "POST", f"/v1/subsidies/applications/{app_id}/verify", self.world.clerk
        )
        # A retried verify whose first attempt took effect is refused as a wrong transition.
        if r is None or (verify.outcome != "ok" and "verified" not in verify.detail):
            return
        op = self.history.begin("approval", application_id=app_id)
        r = await self.client.write(
            op,
            "POST",
            f"/v1/subsidies/applications/{app_id}/approve",
            self.world.approver | {"Idempotency-Key": f"approve-{app_id}"},
            json={},
        )
        if r is not None and op.outcome == "ok":
            op.result["amount_fen"] = r.json().get("amount_fen")

    async def payer(self, every: float) -> None:
        n = 0
        while not self.stop.is_set():
            try:
                await asyncio.wait_for(self.stop.wait(), every)
                return
            except TimeoutError:
                pass
            n += 1
            await self._pay(n)

    async def _pay(self, n: int) -> None:
        op = self.history.begin("payment", batch=n)
        r = await self.client.write(
            op,
            "POST",
            "/v1/subsidies/batches",
            self.world.clerk | {"Idempotency-Key": f"batch-{self.run}-{n}"},
            json={"fund_id": self.world.fund_id},
        )
        if r is None or op.outcome != "ok":
            return  # 422: nothing ready to pay
        batch_id = r.json()["id"]
        op.result["batch_id"] = batch_id
        export = Op(0, "export", {}, 0)
        r = await self.client.write(
            export, "POST", f"/v1/subsidies/batches/{batch_id}/export", self.world.clerk
        )
        if r is None or export.outcome != "ok":  # the answer lost: the same file again
            r = await self.client.write(
                export, "GET", f"/v1/subsidies/batches/{batch_id}/file", self.world.clerk
            )
        if r is None or export.outcome != "ok":
            op.result["stage"] = "export failed"
            return
        *lines, _trailer = csv.DictReader(io.StringIO(r.text))
        op.result["applications"] = [line["reference"].removeprefix("SUB-") for line in lines]
        result = "line_id,status,amount_fen,bank_reference,reason\r\n" + "".join(
            f"{line['line_id']},paid,{line['amount_fen']},BANK-{_letters(10)},\r\n"
            for line in lines
        )
        bank = Op(0, "results", {}, 0)
        await self.client.write(
            bank,
            "POST",
            f"/v1/subsidies/batches/{batch_id}/results",
            self.world.clerk | {"Content-Type": "text/csv"},
            content=result.encode(),
        )
        op.result["stage"] = "results " + bank.outcome
        op.result["results_ok"] = bank.outcome == "ok"
