"""The console in a real browser: jobs, subsidies, products and the gateway under real uvicorn
servers on this run's PostgreSQL and nats-server, and Debian's Chromium driven by Playwright."""

import contextlib
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

import httpx
import pytest
from playwright.async_api import Browser, Page, async_playwright

from gateway.app import create_app as create_gateway
from tests.support.apps import ADMIN_PASSWORD, gateway_settings, running_service
from tests.support.events import EVENT_PUBLIC_KEYS
from tests.support.infra import TEST_NATS_PASSWORDS, wait_until
from tests.support.servers import serve

CHROMIUM = "/usr/bin/chromium"  # Debian's package: .ci/run installs it
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "console"
PASSWORD = "console-test-password-0123"


def national_id(serial: int) -> str:
    """A valid ID number of Weng'an (520522), born 1990-03-07, with its MOD 11-2 check."""
    body = f"52052219900307{serial:03d}"
    weights = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
    check = "10X98765432"[sum(int(d) * w for d, w in zip(body, weights, strict=True)) % 11]
    return body + check


@dataclass
class Platform:
    url: str
    api: httpx.AsyncClient
    services: dict[str, Any] = field(default_factory=dict)

    async def token(self, username: str, password: str) -> dict[str, str]:
        r = await self.api.post("/v1/auth/login", json={"username": username, "password": password})
        assert r.status_code == 200, r.text
        return {"Authorization": f"Bearer {r.json()['access_token']}"}

    async def admin(self) -> dict[str, str]:
        async def attempt() -> Any:
            r = await self.api.post(
                "/v1/auth/login", json={"username": "admin", "password": ADMIN_PASSWORD}
            )
            return r.json()["access_token"] if r.status_code == 200 else None

        token = await wait_until(attempt, timeout=20, what="the bootstrap admin")
        return {"Authorization": f"Bearer {token}"}

    async def user(self, admin: dict[str, str], username: str, role: str) -> str:
        r = await self.api.post(
            "/v1/admin/users",
            headers=admin,
            json={"username": username, "password": PASSWORD, "role": role},
        )
        assert r.status_code == 201, r.text
        return str(r.json()["id"])

    async def call(self, method: str, path: str, headers: dict[str, str], **kw: Any) -> Any:
        r = await self.api.request(method, path, headers=headers, **kw)
        assert r.status_code < 300, r.text
        return r.json()

    async def applications(
        self, admin: dict[str, str], *, workers: int = 1, notice_days: int = 0
    ) -> list[dict[str, Any]]:
        """A fund, a program and ``workers`` registered-poor workers placed with a Haizhu
        partner for three confirmed months: the subsidies service opens one application each."""
        fund = await self.call(
            "POST",
            "/v1/subsidies/funds",
            admin,
            json={"code": "gz-aid", "name": "广州帮扶资金", "budget_fen": 1_000_000_00},
        )
        await self.call(
            "POST",
            "/v1/subsidies/programs",
            admin,
            json={
                "code": "stable-employment",
                "name": "稳岗补贴",
                "fund_id": fund["id"],
                "employer_kind": "haizhu_partner",
                "beneficiary_kind": "employer",
                "amount_rule": "one_off",
                "amount_fen": 500_012,
                "required_months": 3,
                "poor_only": True,
                "notice_days": notice_days,
                "valid_from": "2026-01-01",
            },
        )
        employer = await self.call(
            "POST",
            "/v1/jobs/employers",
            admin,
            json={"kind": "haizhu_partner", "name": "广州珠江电子", "location": "Haizhu"},
        )
        key = await self.call(
            "POST",
            "/v1/admin/api-keys",
            admin,
            json={"name": "partner", "role": "partner", "subject_id": employer["id"]},
        )
        partner = {"Authorization": f"Bearer {key['key']}"}
        posting = await self.call(
            "POST",
            "/v1/jobs/postings",
            partner,
            json={
                "title": "装配工",
                "category": "manufacturing",
                "employment_type": "full_time",
                "district": "Haizhu",
                "salary_min_fen": 450_000,
                "salary_max_fen": 600_000,
                "openings": 5,
                "valid_through": "2027-06-30",
            },
        )
        await self.call("POST", f"/v1/jobs/postings/{posting['id']}/publish", partner)
        for i in range(workers):
            worker = await self.call(
                "POST",
                "/v1/jobs/workers",
                admin,
                json={
                    "name": f"王小梅{i}",
                    "national_id": national_id(123 + i),
                    "township": "Houchang",
                    "poor_household": True,
                },
            )
            placement = await self.call(
                "POST",
                "/v1/jobs/placements",
                partner,
                json={
                    "worker_id": worker["id"],
                    "posting_id": posting["id"],
                    "start_date": date(2026, 6, 1).isoformat(),
                    "monthly_wage_fen": 520_000,
                },
            )
            for month in ("2026-06", "2026-07", "2026-08"):
                await self.call(
                    "POST",
                    f"/v1/jobs/placements/{placement['id']}/confirmations",
                    partner,
                    json={"month": month, "wage_paid_fen": 520_000},
                )

        async def opened() -> Any:
            r = await self.api.get("/v1/subsidies/applications", headers=admin)
            items = r.json()["items"]
            return items if len(items) == workers else None

        found: list[dict[str, Any]] = await wait_until(opened, timeout=30, what="the applications")
        return found


@asynccontextmanager
async def running_platform(
    settings_for: Any, databases: Any, nats_url: str, namespace: str, *, products: bool = False
) -> AsyncIterator[Platform]:
    """Jobs and subsidies (and products when asked) under real servers, and the gateway in
    front of them, reading this test's events from NATS for the dashboard's live feed."""
    async with contextlib.AsyncExitStack() as stack:
        urls: dict[str, str] = {}
        services: dict[str, Any] = {}
        for name in ("jobs", "subsidies", "products") if products else ("jobs", "subsidies"):
            running = await stack.enter_async_context(running_service(name, settings_for(name)))
            server = await stack.enter_async_context(serve(running.app, lifespan="off"))
            urls[f"{name}_url"] = server.url
            services[name] = running
        settings = gateway_settings(
            databases,
            nats_url=nats_url,
            nats_user="gateway",
            nats_password=TEST_NATS_PASSWORDS["gateway"],
            event_namespace=namespace,
            event_public_keys=EVENT_PUBLIC_KEYS,
            **urls,
        )
        gw = await stack.enter_async_context(serve(create_gateway(settings), proxy_headers=False))
        api = await stack.enter_async_context(httpx.AsyncClient(base_url=gw.url, timeout=30))
        yield Platform(gw.url, api, services)


@pytest.fixture
async def platform(settings_for, databases, nats_url, namespace) -> AsyncIterator[Platform]:  # type: ignore[no-untyped-def]
    async with running_platform(
        settings_for, databases, nats_url, namespace, products=True
    ) as running:
        yield running


@pytest.fixture(scope="session")
async def browser() -> AsyncIterator[Browser]:
    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(executable_path=CHROMIUM, headless=True)
        yield browser
        await browser.close()


@pytest.fixture
async def new_page(browser: Browser, platform: Platform):  # type: ignore[no-untyped-def]
    """``await new_page()``: a page in a browser context of its own (its own cookies)."""
    contexts = []

    async def make() -> Page:
        context = await browser.new_context(
            base_url=platform.url, accept_downloads=True, locale="zh-CN"
        )
        context.set_default_timeout(15_000)
        contexts.append(context)
        return await context.new_page()

    yield make
    for context in contexts:
        await context.close()


async def login(page: Page, username: str, password: str = PASSWORD) -> None:
    await page.goto("/console/login")
    await page.get_by_label("用户名").fill(username)
    await page.get_by_label("密码").fill(password)
    await page.get_by_role("button", name="登录").click()
    await page.wait_for_url("**/console/**")


async def screenshot(page: Page, name: str) -> None:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    await page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)


def short(ident: str) -> str:
    return str(uuid.UUID(ident))[:8]
