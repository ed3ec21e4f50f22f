"""A running platform with every role: the three services and the gateway, each under its own
uvicorn server, on this run's PostgreSQL and nats-server, reached only through the gateway with
real credentials (staff login tokens, API keys bound to a store or a partner).

The objects callers point at are made here, the caller being partner A or store A, "other"
objects belonging to partner B or store B. The authorisation matrix (tests/authz) and the API
fuzzing (tests/fuzz) each start one per package with ``running_world``."""

import contextlib
import uuid
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack
from dataclasses import dataclass, field
from typing import Any

import httpx

from gateway.app import create_app as create_gateway
from tests.support.apps import ADMIN_PASSWORD, gateway_settings, running_service, service_settings
from tests.support.infra import TestDatabases, wait_until
from tests.support.servers import serve

STAFF_PASSWORD = "authz-matrix-staff-password-0123"
STAFF = ("bureau_clerk", "bureau_approver", "auditor")
CALLERS = ("anonymous", "partner", "store", "bureau_clerk", "bureau_approver", "auditor", "admin")


@dataclass
class World:
    """The running platform, a client of its gateway, every caller's credential and the ids of
    the objects the rows name."""

    client: httpx.AsyncClient
    gateway_url: str
    credentials: dict[str, dict[str, str]] = field(default_factory=dict)
    objects: dict[str, str] = field(default_factory=dict)

    def headers(self, caller: str) -> dict[str, str]:
        return dict(self.credentials[caller])


async def _ok(r: httpx.Response, status: int = 201) -> dict[str, Any]:
    assert r.status_code == status, f"{r.request.method} {r.request.url}: {r.status_code} {r.text}"
    return r.json()  # type: ignore[no-any-return]


def _key() -> dict[str, str]:
    return {"Idempotency-Key": uuid.uuid4().hex}


@contextlib.asynccontextmanager
async def running_world(
    databases: TestDatabases, nats_url: str, name: str, **gateway_overrides: Any
) -> AsyncIterator[World]:
    """The platform under ``name`` (its event namespace), populated; the tables are emptied
    when the block ends."""
    namespace = f"t{databases.run_id}{name}"

    def settings(service: str) -> Any:
        return service_settings(
            service, databases.url(service), nats_url, namespace, relay_poll_seconds=1.0
        )

    async with AsyncExitStack() as stack:
        servers = {}
        for svc_name in ("jobs", "products", "subsidies"):
            svc = await stack.enter_async_context(running_service(svc_name, settings(svc_name)))
            servers[svc_name] = await stack.enter_async_context(serve(svc.app, lifespan="off"))
        gateway = create_gateway(
            gateway_settings(
                databases,
                jobs_url=servers["jobs"].url,
                products_url=servers["products"].url,
                subsidies_url=servers["subsidies"].url,
                **gateway_overrides,
            )
        )
        gw = await stack.enter_async_context(serve(gateway, proxy_headers=False))
        # A connection per request: on a kept-alive connection each answer here waited ~40 ms
        # (delayed ACK), which made the matrix 40 times slower than its requests.
        client = await stack.enter_async_context(
            httpx.AsyncClient(
                base_url=gw.url, timeout=30, limits=httpx.Limits(max_keepalive_connections=0)
            )
        )
        world = World(client, gw.url)
        await _populate(world)
        try:
            yield world
        finally:
            await stack.aclose()
            await databases.truncate_all()


async def _login(client: httpx.AsyncClient, username: str, password: str) -> dict[str, str]:
    async def attempt() -> Any:
        r = await client.post("/v1/auth/login", json={"username": username, "password": password})
        return r.json()["access_token"] if r.status_code == 200 else None

    token = await wait_until(attempt, timeout=20, what=f"login of {username}")
    return {"Authorization": f"Bearer {token}"}


async def _populate(w: World) -> None:
    c, o = w.client, w.objects
    admin = await _login(c, "admin", ADMIN_PASSWORD)
    w.credentials["anonymous"] = {}
    w.credentials["admin"] = admin
    for role in STAFF:
        user = await _ok(
            await c.post(
                "/v1/admin/users",
                headers=admin,
                json={"username": f"authz-{role}", "password": STAFF_PASSWORD, "role": role},
            )
        )
        o[f"user_{role}"] = user["id"]
        w.credentials[role] = await _login(c, f"authz-{role}", STAFF_PASSWORD)
    o["user"] = o["user_bureau_clerk"]
    spare = {"username": "authz-spare", "password": STAFF_PASSWORD, "role": "auditor"}
    o["user_spare"] = (await _ok(await c.post("/v1/admin/users", headers=admin, json=spare)))["id"]

    async def api_key(role: str, subject: str, label: str) -> dict[str, str]:
        body = {"name": f"authz {label}", "role": role, "subject_id": subject}
        key = await _ok(await c.post("/v1/admin/api-keys", headers=admin, json=body))
        o[f"key_{label}"] = key["id"]
        return {"Authorization": f"Bearer {key['key']}"}

    # --- jobs: partners A (the caller) and B, their postings and placements ------------------
    clerk = w.credentials["bureau_clerk"]
    partners = {}
    for side in ("a", "b"):
        employer = await _ok(
            await c.post(
                "/v1/jobs/employers",
                headers=clerk,
                json={
                    "kind": "haizhu_partner",
                    "name": f"Partner {side.upper()} {uuid.uuid4().hex[:6]}",
                    "location": "Haizhu",
                    "address": "1 Test Road",
                    "contact": "hr@example.com",
                },
            )
        )
        o[f"employer_{side}"] = employer["id"]
        partners[side] = await api_key("partner", employer["id"], f"partner_{side}")
    w.credentials["partner"] = partners["a"]
    o["key"] = o["key_partner_b"]

    worker = await _ok(
        await c.post(
            "/v1/jobs/workers",
            headers=clerk,
            json={
                "name": "Wang Fang",
                "township": "Houchang",
                "poor_household": True,
                "skills": ["sewing"],
            }
            | _worker_pii(),
        )
    )
    o["worker"] = worker["id"]
    for side in ("a", "b"):
        headers = partners[side]
        for label, publish in (
            ("draft", False),
            ("open", True),
            ("publish", False),
            ("close", True),
        ):
            posting = await _ok(
                await c.post("/v1/jobs/postings", headers=headers, json=_posting(label))
            )
            if publish:
                posting = await _ok(
                    await c.post(f"/v1/jobs/postings/{posting['id']}/publish", headers=headers),
                    200,
                )
            o[f"posting_{side}_{label}"] = posting["id"]
        placement = await _ok(
            await c.post(
                "/v1/jobs/placements",
                headers=headers | _key(),
                json={
                    "worker_id": o["worker"],
                    "posting_id": o[f"posting_{side}_open"],
                    "start_date": "2026-03-02",
                    "monthly_wage_fen": 520_000,
                },
            )
        )
        o[f"placement_{side}"] = placement["id"]
    fair = await _ok(
        await c.post(
            "/v1/jobs/job-fairs",
            headers=clerk,
            json={
                "name": "Spring job fair",
                "held_on": "2026-06-01",
                "location": "Weng'an stadium",
                "township": "Yongyang",
            },
        )
    )
    o["fair"] = fair["id"]
    training = await _ok(
        await c.post(
            "/v1/jobs/trainings",
            headers=clerk,
            json={
                "title": "Electrician basics",
                "topic": "electrical",
                "provider": "Haizhu Vocational Centre",
                "starts_on": "2026-06-01",
                "ends_on": "2026-06-10",
                "location": "Jiangjiehe training room",
                "township": "Jiangjiehe",
            },
        )
    )
    o["training"] = training["id"]

    # --- products: stores A (the caller) and B, a sale of each --------------------------------
    supplier = await _ok(
        await c.post(
            "/v1/products/suppliers",
            headers=admin,
            json={
                "name": f"Weng'an Cooperative {uuid.uuid4().hex[:6]}",
                "kind": "cooperative",
                "township": "Houchang",
                "poor_households_linked": 40,
            },
        )
    )
    o["supplier"] = supplier["id"]
    sku = f"AZ-{uuid.uuid4().hex[:6]}"
    product = await _ok(
        await c.post(
            "/v1/products/catalogue",
            headers=admin,
            json={
                "sku": sku,
                "name": "Weng'an tea",
                "category": "tea",
                "supplier_id": supplier["id"],
                "unit": "box",
                "net_weight_grams": 250,
                "certification_number": "XFBF-0001",
                "list_price_fen": 16800,
            },
        )
    )
    o["product"] = product["id"]
    o["sku"] = sku
    stores = {}
    for side in ("a", "b"):
        store = await _ok(
            await c.post(
                "/v1/products/stores",
                headers=admin,
                json={
                    "name": f"Store {side.upper()}",
                    "kind": "flagship_store",
                    "address": "Haizhu",
                },
            )
        )
        o[f"store_{side}"] = store["id"]
        stores[side] = await api_key("store", store["id"], f"store_{side}")
        sale = await _ok(
            await c.post(
                "/v1/products/stores/me/sales",
                headers=stores[side] | _key(),
                json=sale_body(sku),
            )
        )
        o[f"sale_{side}"] = sale["id"]
    w.credentials["store"] = stores["a"]

    # --- subsidies: a fund, a program, a payee ------------------------------------------------
    fund = await _ok(
        await c.post(
            "/v1/subsidies/funds",
            headers=admin,
            json={"code": f"fund-{uuid.uuid4().hex[:8]}", "name": "Aid", "budget_fen": 10_000_000},
        )
    )
    o["fund"] = fund["id"]
    program = await _ok(
        await c.post(
            "/v1/subsidies/programs",
            headers=admin,
            json={
                "code": "authz-dedicated",
                "name": "Dedicated-post subsidy",
                "employer_kind": "dedicated_post",
                "beneficiary_kind": "worker",
                "amount_rule": "per_person_month",
                "amount_fen": 50_000,
                "required_months": 1,
                "poor_only": True,
                "notice_days": 5,
                "valid_from": "2020-01-01",
                "fund_id": fund["id"],
            },
        )
    )
    o["program"] = program["code"]
    payee = await _ok(
        await c.post(
            "/v1/subsidies/payees",
            headers=clerk,
            json={
                "beneficiary_kind": "worker",
                "beneficiary_id": o["worker"],
                "holder_name": "Wang Fang",
                "account_number": "6222020200112233445",
                "bank_name": "Agricultural Bank of China, Weng'an branch",
            },
        )
    )
    o["payee"] = payee["id"]
    # Objects no row may find: allowed roles get 404 on them (and nothing is changed).
    o["missing"] = str(uuid.uuid4())
    o["today"] = "2026-06-15"


def _worker_pii() -> dict[str, str]:
    from shared.pii import national_id_check_char

    first17 = "52272519900101" + f"{uuid.uuid4().int % 1000:03d}"
    return {"national_id": first17 + national_id_check_char(first17), "phone": "13912340001"}


def _posting(label: str) -> dict[str, Any]:
    return {
        "title": f"Assembly line operator ({label})",
        "description": "Assemble chargers.",
        "category": "manufacturing",
        "employment_type": "full_time",
        "district": "Haizhu",
        "address": "88 Xingang Road",
        "salary_min_fen": 450_000,
        "salary_max_fen": 650_000,
        "openings": 3,
        "requirements": "Aged 18-45",
        "housing": True,
        "meals": True,
        "travel": False,
        "contact": "hr@example.com",
        "valid_through": "2030-12-31",
    }


def sale_body(sku: str) -> dict[str, Any]:
    return {
        "receipt_number": f"R-{uuid.uuid4().hex[:12]}",
        "sold_at": "2026-03-10T04:00:00Z",
        "lines": [{"sku": sku, "quantity": 2, "unit_price_fen": 16800}],
    }
