"""The bureau's, partners', stores' and onboarding pages in Chromium: a clerk registers a worker
and finds them by the masked ID number's last digits; an admin makes a partner's login and the
partner posts and publishes a job; a store manager uploads a CSV of sales and sees a result per
line; an admin onboards the stores from one spreadsheet, twice without duplicates."""

import io
import re
from datetime import UTC, datetime, timedelta

import openpyxl
from playwright.async_api import Page, expect

from tests.console.conftest import PASSWORD, login, national_id, screenshot
from tests.support.apps import ADMIN_PASSWORD


class TestWorkers:
    async def test_clerk_registers_a_worker_and_finds_them_by_masked_id_digits(
        self, platform, new_page
    ):
        admin = await platform.admin()
        await platform.user(admin, "li.clerk", "bureau_clerk")
        other = await platform.call(
            "POST",
            "/v1/jobs/workers",
            admin,
            json={"name": "张三", "national_id": national_id(201), "township": "Languan"},
        )
        page: Page = await new_page()
        await login(page, "li.clerk")
        await page.get_by_role("link", name="务工人员", exact=True).click()
        number = national_id(345)
        await page.locator("#w-name").fill("王小梅")
        await page.locator("#w-id").fill(number)
        await page.locator("#w-phone").fill("13800138000")
        await page.locator("#w-township").fill("Houchang")
        await page.locator("#w-skills").fill("缝纫, 采茶")
        await page.get_by_label("建档立卡户成员").check()
        await page.get_by_role("button", name="登记", exact=True).click()
        await expect(page.get_by_role("status")).to_have_text("务工人员已登记。")
        masked = number[:3] + "*" * 11 + number[-4:]
        await expect(page.locator("#worker-id-number")).to_have_text(masked)
        await expect(page.locator("#worker-poor")).to_have_text("是")
        content = await page.content()
        assert number not in content and "13800138000" not in content

        # A correction, audited: before and after, who; the ID number stays.
        await page.locator("#e-township").fill("Languan")
        await page.locator("#e-reason").fill("搬迁安置")
        await page.get_by_role("button", name="保存更正").click()
        await expect(page.get_by_role("status")).to_contain_text("务工人员信息已更正")
        await expect(page.locator("#worker-township")).to_have_text("Languan")
        history = page.locator("#worker-history tbody tr")
        await expect(history).to_have_count(1)
        await expect(history).to_contain_text("Houchang")
        await expect(history).to_contain_text("li.clerk")
        await expect(history).to_contain_text("搬迁安置")
        await screenshot(page, "worker")

        # Found by the last digits the masked number shows, and only them.
        await page.get_by_role("link", name="务工人员", exact=True).click()
        await expect(page.locator("#workers tbody tr")).to_have_count(2)
        await page.get_by_label("身份证号末几位").fill(number[-4:])
        await page.get_by_role("button", name="查询").click()
        rows = page.locator("#workers tbody tr")
        await expect(rows).to_have_count(1)
        await expect(rows).to_contain_text("王小梅")
        await expect(rows).to_contain_text(masked)
        await expect(page).to_have_url(re.compile(f"id_last_digits={number[-4:]}"))
        assert other["national_id_masked"] not in await page.locator("#workers").inner_text()
        await screenshot(page, "workers")

        # The same ID number again: refused in words, with the way to the existing record.
        await page.locator("#w-name").fill("王小梅")
        await page.locator("#w-id").fill(number)
        await page.locator("#w-township").fill("Houchang")
        await page.get_by_role("button", name="登记", exact=True).click()
        await expect(page.get_by_role("alert")).to_contain_text("该身份证号的务工人员已登记")
        await page.get_by_role("link", name="打开该身份证号已登记的人员").click()
        await expect(page.locator("#worker-id-number")).to_have_text(masked)

        # A job fair held today, and the worker's attendance recorded by ID number.
        await page.get_by_role("link", name="招聘会与培训").click()
        await page.locator("#a-name").fill("海珠—瓮安劳务协作招聘会")
        today = (datetime.now(UTC) + timedelta(hours=8)).date().isoformat()
        await page.locator("#a-date").fill(today)
        await page.locator("#a-location").fill("瓮安县人力资源市场")
        await page.get_by_role("button", name="保存").click()
        await expect(page.get_by_role("status")).to_have_text("已保存。")
        await page.get_by_label("务工人员身份证号").fill(number)
        await page.get_by_role("button", name="登记参加").click()
        await expect(page.get_by_role("status")).to_have_text("参加记录已登记。")
        await expect(page.locator("#attendees tbody tr")).to_have_count(1)
        await expect(page.locator("#attendees")).to_contain_text(masked)
        await page.get_by_label("务工人员身份证号").fill(national_id(999))
        await page.get_by_role("button", name="登记参加").click()
        await expect(page.get_by_role("alert")).to_have_text(
            "该身份证号尚未登记，请先登记务工人员。"
        )
        assert national_id(999) not in await page.content()


class TestPartner:
    async def test_admin_makes_a_partner_login_and_the_partner_posts_and_publishes_a_job(
        self, platform, new_page
    ):
        admin = await platform.admin()
        employer = await platform.call(
            "POST",
            "/v1/jobs/employers",
            admin,
            json={"kind": "haizhu_partner", "name": "广州珠江电子", "location": "Haizhu"},
        )
        page: Page = await new_page()
        await login(page, "admin", ADMIN_PASSWORD)
        await page.get_by_role("link", name="工作人员", exact=True).click()
        await page.get_by_label("用户名").fill("hr.zhujiang")
        await page.locator("#new-display-name").fill("珠江电子人事")
        await page.locator("#new-role").select_option("partner")
        await page.locator("#new-subject").select_option(employer["id"])
        await page.get_by_label("密码").fill(PASSWORD)
        await page.get_by_role("button", name="创建").click()
        row = page.locator("#user-hr\\.zhujiang")
        await expect(row).to_contain_text("广州珠江电子")

        partner: Page = await new_page()
        await login(partner, "hr.zhujiang")
        await partner.get_by_role("link", name="招聘岗位", exact=True).click()
        await partner.get_by_label("岗位名称").fill("电子装配工")
        await partner.get_by_label("行业类别").select_option("manufacturing")
        await partner.get_by_label("最低月薪（元）").fill("4500.50")
        await partner.get_by_label("最高月薪（元）").fill("6,000")
        await partner.get_by_label("招聘人数").fill("5")
        valid = (datetime.now(UTC) + timedelta(days=90)).date().isoformat()
        await partner.get_by_label("有效期至").fill(valid)
        await partner.get_by_label("提供住宿").check()
        await partner.get_by_role("button", name="保存为草稿").click()
        await expect(partner.get_by_role("status")).to_contain_text("岗位已保存为草稿")
        await expect(partner.locator("#posting-status")).to_have_text("草稿")
        await expect(partner.locator("#posting-salary")).to_have_text("4,500.50 – 6,000.00")
        await partner.get_by_role("button", name="发布").click()
        await expect(partner.get_by_role("status")).to_have_text("岗位已发布。")
        await expect(partner.locator("#posting-status")).to_have_text("招聘中")
        await screenshot(partner, "partner-posting")

        board = (await platform.api.get("/v1/jobs/postings")).json()["items"]
        assert [(p["title"], p["salary_min_fen"]) for p in board] == [("电子装配工", 450_050)]
        await partner.get_by_role("link", name="招聘岗位", exact=True).click()
        await expect(partner.locator("#postings tbody tr")).to_have_count(1)
        await expect(partner.locator("#postings")).to_contain_text("招聘中")

        # The admin disables the login: the partner's next page asks for a login again.
        await page.reload()
        await row.get_by_role("button", name="停用").click()
        await expect(page.get_by_role("status")).to_have_text("账号已修改。")
        await expect(row).to_contain_text("是")
        await partner.reload()
        await expect(partner).to_have_url(re.compile(r"/console/login\?reason=expired"))


def _sold_at(hours_ago: int) -> str:
    return (datetime.now(UTC) - timedelta(hours=hours_ago)).isoformat(timespec="seconds")


class TestStore:
    async def test_store_uploads_a_csv_and_sees_a_result_per_line(
        self, platform, new_page, tmp_path
    ):
        admin = await platform.admin()
        supplier = await platform.call(
            "POST",
            "/v1/products/suppliers",
            admin,
            json={
                "name": "翁安猴场茶叶合作社",
                "kind": "cooperative",
                "township": "Houchang",
                "poor_households_linked": 128,
            },
        )
        await platform.call(
            "POST",
            "/v1/products/catalogue",
            admin,
            json={
                "sku": "WA-TEA-250",
                "name": "翁安黄茶 250 克",
                "category": "tea",
                "supplier_id": supplier["id"],
                "unit": "box",
                "net_weight_grams": 250,
                "certification_number": "XFBF-2020-0042",
                "list_price_fen": 16800,
            },
        )
        store = await platform.call(
            "POST",
            "/v1/products/stores",
            admin,
            json={"name": "江南西旗舰店", "kind": "flagship_store", "address": "海珠区江南西路"},
        )
        r = await platform.api.post(
            "/v1/admin/users",
            headers=admin,
            json={
                "username": "chen.store",
                "role": "store",
                "subject_id": store["id"],
                "password": PASSWORD,
            },
        )
        assert r.status_code == 201, r.text

        page: Page = await new_page()
        await login(page, "chen.store")
        await page.get_by_role("link", name="本门店").click()
        await expect(page.get_by_role("heading", name="江南西旗舰店")).to_be_visible()
        sold = _sold_at(1)
        csv = tmp_path / "sales.csv"
        csv.write_text(
            "receipt_number,sold_at,sku,quantity,unit_price_fen\n"
            f"R-0001,{sold},WA-TEA-250,2,16800\n"
            f"R-0002,{sold},WA-TEA-250,1,16800\n"
            f"R-0003,{sold},NO-SUCH-SKU,1,100\n",
            encoding="utf-8",
        )
        await page.get_by_label("销售文件（CSV）").set_input_files(csv)
        await page.get_by_role("button", name="上传").click()
        await expect(page.get_by_role("alert")).to_have_text(
            "上传完成：录入销售 2 笔，被拒绝 1 笔。"
        )
        lines = page.locator("#batch-lines tbody tr")
        await expect(lines).to_have_count(3)
        await expect(lines.nth(0)).to_contain_text("已录入")
        await expect(lines.nth(2)).to_contain_text("已驳回")
        await expect(lines.nth(2)).to_contain_text("商品编码（SKU）不存在")
        await expect(page.locator("#sales tbody tr")).to_have_count(2)
        await expect(page.locator("#sales")).to_contain_text("336.00")
        await screenshot(page, "store-batch")

        # The same file again is recorded once: the service replays the first answer.
        await page.get_by_label("销售文件（CSV）").set_input_files(csv)
        await page.get_by_role("button", name="上传").click()
        await expect(page.locator("#batch-accepted")).to_have_text("2")
        await expect(page.locator("#sales tbody tr")).to_have_count(2)

        # Day close of the sales' business day (China time).
        day = (datetime.now(UTC) - timedelta(hours=1) + timedelta(hours=8)).date().isoformat()
        await page.get_by_label("日期").fill(day)
        await page.get_by_role("button", name="查看").click()
        await expect(page.locator("#day-closed")).to_have_text("未日结")
        await page.get_by_role("button", name="日结该营业日").click()
        await expect(page.get_by_role("status")).to_have_text("营业日已日结。")
        await expect(page.locator("#day-closed")).to_have_text("已关闭")


def _sheet(rows: list[list[str]]) -> bytes:
    book = openpyxl.Workbook()
    sheet = book.active
    for row in rows:
        sheet.append(row)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


class TestOnboarding:
    async def test_admin_onboards_stores_from_one_spreadsheet(self, platform, new_page, tmp_path):
        names = [f"海珠{n}号旗舰店" for n in range(1, 7)] + ["广州东西部协作展销中心"]
        rows = [["名称", "类型", "地址"]]
        rows += [[name, "旗舰店", f"海珠区第{i}街"] for i, name in enumerate(names[:6], 1)]
        rows += [[names[6], "展销中心", "海珠区新港东路"], ["错误门店", "超市", "海珠区"]]
        path = tmp_path / "stores.xlsx"
        path.write_bytes(_sheet(rows))

        page: Page = await new_page()
        await login(page, "admin", ADMIN_PASSWORD)
        await page.get_by_role("link", name="门店", exact=True).click()
        await page.get_by_label("表格文件（.xlsx 或 .csv）").set_input_files(path)
        await page.get_by_role("button", name="开通").click()
        await expect(page.get_by_role("alert")).to_have_text("共 8 行，已完成 7 行。")
        results = page.locator("#onboarding-results tbody tr")
        await expect(results).to_have_count(8)
        keys = [await code.inner_text() for code in await results.locator("code.secret").all()]
        assert len(keys) == 7 and all(re.fullmatch(r"ew_[a-z0-9]{8}_\S{43}", k) for k in keys)
        await expect(results.nth(7)).to_contain_text("类型须为“旗舰店”")
        await expect(page.locator("#stores tbody tr")).to_have_count(7)
        await screenshot(page, "onboarding")

        # A store's key works for that store.
        r = await platform.api.get(
            "/v1/products/stores/me", headers={"Authorization": f"Bearer {keys[0]}"}
        )
        assert r.json()["name"] == names[0]

        # The same sheet again: nothing twice, no key shown again.
        await page.get_by_label("表格文件（.xlsx 或 .csv）").set_input_files(path)
        await page.get_by_role("button", name="开通").click()
        await expect(results.nth(0)).to_contain_text("已登记")
        await expect(results.nth(0)).to_contain_text("已有密钥")
        await expect(page.locator("#onboarding-results code.secret")).to_have_count(0)
        await expect(page.locator("#stores tbody tr")).to_have_count(7)
        admin = await platform.admin()
        stores = await platform.call("GET", "/v1/products/stores?limit=50", admin)
        assert sorted(s["name"] for s in stores["items"]) == sorted(names)
        store_keys = await platform.call("GET", "/v1/admin/api-keys?role=store&limit=50", admin)
        assert len(store_keys["items"]) == 7
