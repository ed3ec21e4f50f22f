"""The dashboard in Chromium: its figures are the statistics APIs' own for the same period, and
its live feed shows platform activity published while the page is open, until logout."""

import re
from collections.abc import AsyncIterator

import pytest
from playwright.async_api import Page, expect

from gateway.console.formatting import yuan
from tests.console.conftest import (
    PASSWORD,
    Platform,
    login,
    national_id,
    running_platform,
    screenshot,
)
from tests.jobs.conftest import staff
from tests.products.factories import (
    create_product,
    create_store,
    create_supplier,
    report_sale,
    sale_body,
)


@pytest.fixture
async def platform(settings_for, databases, nats_url, namespace) -> AsyncIterator[Platform]:  # type: ignore[no-untyped-def]
    """The console's platform with the products service too (sales figures)."""
    async with running_platform(
        settings_for, databases, nats_url, namespace, products=True
    ) as running:
        yield running


async def sales(platform: Platform) -> None:
    """Two stores selling tea from Houchang and fruit from Languan in June and July 2026."""
    products = platform.services["products"]
    tea = await create_product(
        products,
        supplier_id=(await create_supplier(products, township="Houchang"))["id"],
        category="tea",
        net_weight_grams=250,
    )
    fruit = await create_product(
        products,
        supplier_id=(await create_supplier(products, township="Languan"))["id"],
        category="fruit",
        net_weight_grams=5000,
    )
    jiangnan = await create_store(products, name="江南西旗舰店")
    expo = await create_store(products, name="海珠展销中心")
    for store, sku, quantity, price, day in (
        (jiangnan, tea["sku"], 4, 16_800, "2026-06-10"),
        (jiangnan, fruit["sku"], 10, 12_050, "2026-06-11"),
        (expo, tea["sku"], 7, 16_800, "2026-07-02"),
        (expo, fruit["sku"], 3, 12_001, "2026-07-20"),
    ):
        await report_sale(
            products,
            store["id"],
            sale_body(sku, quantity=quantity, unit_price_fen=price, sold_at=f"{day}T04:00:00Z"),
        )


async def workshop(platform: Platform) -> None:
    jobs = platform.services["jobs"]
    r = await jobs.client.post(
        "/v1/jobs/employers",
        json={"kind": "workshop", "name": "猴场扶贫车间", "location": "Houchang"},
        headers=staff(),
    )
    assert r.status_code == 201, r.text
    worker = await jobs.client.post(
        "/v1/jobs/workers",
        json={
            "name": "李春花",
            "national_id": national_id(200),
            "township": "Houchang",
            "poor_household": True,
        },
        headers=staff(),
    )
    assert worker.status_code == 201, worker.text
    r = await jobs.client.post(
        "/v1/jobs/placements",
        json={
            "worker_id": worker.json()["id"],
            "employer_id": r.json()["id"],
            "start_date": "2026-07-01",
            "monthly_wage_fen": 180_000,
        },
        headers=staff(),
    )
    assert r.status_code == 201, r.text


def count(n: int) -> str:
    return f"{n:,}"


async def assert_page_shows_the_apis(
    page: Page, platform: Platform, headers: dict[str, str], start: str = "", end: str = ""
) -> None:
    jobs = await platform.call(
        "GET",
        "/v1/jobs/statistics",
        headers,
        params={k: v for k, v in (("from", start), ("to", end)) if v},
    )
    for key in (
        "jobs_offered",
        "job_fairs_held",
        "training_sessions",
        "people_trained",
        "placements",
        "workers_in_stable_employment",
        "workshops",
        "workshop_workers",
        "workshop_workers_poor",
    ):
        await expect(page.locator(f"#fig-{key}")).to_have_text(count(jobs[key]))
    await expect(page.locator("#fig-total_wages_paid_fen")).to_have_text(
        yuan(jobs["total_wages_paid_fen"])
    )
    days = {k: v for k, v in (("date_from", start), ("date_to", end)) if v}
    for group in ("store", "category", "township", "month"):
        stats = await platform.call(
            "GET", "/v1/products/statistics", headers, params=days | {"group_by": group}
        )
        if group == "store":
            await expect(page.locator("#fig-tonnes")).to_have_text(stats["total"]["tonnes"])
            await expect(page.locator("#fig-revenue")).to_have_text(yuan(stats["total"]["fen"]))
        rows = page.locator(f"#sales-{group} tbody tr")
        await expect(rows).to_have_count(max(len(stats["rows"]), 1))
        for i, row in enumerate(stats["rows"]):
            cells = rows.nth(i).locator("td")
            await expect(cells.nth(2)).to_have_text(row["tonnes"])
            await expect(cells.nth(3)).to_have_text(yuan(row["fen"]))
            if group in ("store", "township", "month"):
                name = row["store_name"] if group == "store" else row[group]
                await expect(cells.nth(0)).to_have_text(name)
    months = {k: v[:7] for k, v in (("from_month", start), ("to_month", end)) if v}
    subsidies = await platform.call("GET", "/v1/subsidies/statistics", headers, params=months)
    rows = page.locator("#subsidies tbody tr")
    for i, row in enumerate(subsidies["rows"]):
        await expect(rows.nth(i).locator("td").nth(2)).to_have_text(count(row["applications"]))
        await expect(rows.nth(i).locator("td").nth(3)).to_have_text(yuan(row["paid_fen"]))
        await expect(rows.nth(i).locator("td").nth(4)).to_have_text(yuan(row["reserved_fen"]))
    usage = page.locator("#fund-usage tbody tr")
    for i, fund in enumerate(subsidies["funds"]):
        bp = fund["usage_basis_points"]
        await expect(usage.nth(i).locator("td").nth(4)).to_have_text(f"{bp // 100}.{bp % 100:02d}%")


class TestDashboard:
    async def test_figures_equal_the_statistics_apis(self, platform, new_page):
        admin = await platform.admin()
        await platform.user(admin, "leader", "auditor")
        await platform.user(admin, "li.clerk", "bureau_clerk")
        await platform.user(admin, "wang.approver", "bureau_approver")
        (application,) = await platform.applications(admin)
        clerk = await platform.token("li.clerk", PASSWORD)
        approver = await platform.token("wang.approver", PASSWORD)
        path = f"/v1/subsidies/applications/{application['id']}"
        await platform.call("POST", f"{path}/verify", clerk, json={})
        await platform.call("POST", f"{path}/approve", approver, json={})
        await sales(platform)
        await workshop(platform)
        leader = await platform.token("leader", PASSWORD)

        page: Page = await new_page()
        await login(page, "leader")
        await page.get_by_role("link", name="合作成效").click()
        await expect(page.get_by_role("heading", name="东西部协作成效")).to_be_visible()
        await assert_page_shows_the_apis(page, platform, leader)
        # The figures this scenario made, as people would read them.
        await expect(page.locator("#fig-jobs_offered")).to_have_text("5")
        await expect(page.locator("#fig-workshop_workers_poor")).to_have_text("1")
        await expect(page.locator("#sales-store")).to_contain_text("江南西旗舰店")
        await expect(page.locator("#sales-category")).to_contain_text("茶叶")
        await expect(page.locator("#subsidies")).to_contain_text("稳岗补贴")
        await expect(page.locator("#subsidies")).to_contain_text("5,000.12")  # reserved
        await screenshot(page, "dashboard")

        # Another period, chosen in the form (htmx swaps the figures in place).
        await page.get_by_label("开始日期").fill("2026-07-01")
        await page.get_by_label("结束日期").fill("2026-07-31")
        await page.get_by_role("button", name="查看").click()
        await expect(page).to_have_url(re.compile(r"from=2026-07-01&to=2026-07-31"))
        await expect(page.locator("#period")).to_contain_text("2026-07-01")
        await assert_page_shows_the_apis(page, platform, leader, "2026-07-01", "2026-07-31")
        await expect(page.locator("#sales-store tbody tr")).to_have_count(1)

        async with page.expect_download() as waiting:
            await page.get_by_role("link", name="导出 Excel").click()
        assert (await waiting.value).suggested_filename.endswith(".xlsx")


class TestLiveFeed:
    async def test_an_event_published_during_the_test_appears_until_logout(
        self, platform, new_page
    ):
        admin = await platform.admin()
        await platform.user(admin, "li.clerk", "bureau_clerk")
        page: Page = await new_page()
        await login(page, "li.clerk")
        await page.goto("/console/dashboard")
        status = page.locator("#feed-status")
        await expect(status).to_have_class(re.compile(r"\bonline\b"))

        # A real write through the API: a partner publishes a posting.
        employer = await platform.call(
            "POST",
            "/v1/jobs/employers",
            admin,
            json={"kind": "haizhu_partner", "name": "广州海珠制衣", "location": "Haizhu"},
        )
        key = await platform.call(
            "POST",
            "/v1/admin/api-keys",
            admin,
            json={"name": "partner", "role": "partner", "subject_id": employer["id"]},
        )
        partner = {"Authorization": f"Bearer {key['key']}"}
        posting = await platform.call(
            "POST",
            "/v1/jobs/postings",
            partner,
            json={
                "title": "缝纫工",
                "category": "manufacturing",
                "employment_type": "full_time",
                "district": "Haizhu",
                "salary_min_fen": 450_000,
                "salary_max_fen": 600_000,
                "openings": 12,
                "valid_through": "2027-06-30",
            },
        )
        await platform.call("POST", f"/v1/jobs/postings/{posting['id']}/publish", partner)
        feed = page.locator("#feed")
        await expect(feed).to_contain_text("岗位发布：缝纫工，12 个岗位", timeout=20_000)
        await expect(feed).to_contain_text("用人单位登记：广州海珠制衣")
        await screenshot(page, "dashboard-live-feed")

        # Logging out in another tab ends this page's stream.
        other = await page.context.new_page()
        await other.goto("/console/")
        await other.get_by_role("button", name="退出登录").click()
        await expect(status).to_have_class(re.compile(r"\bended\b"))
        # Without a session the feed answers 204: the browser stops reconnecting.
        response = await page.request.get("/console/dashboard/feed")
        assert response.status == 204
