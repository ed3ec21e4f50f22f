"""The public notice (公示名单) in Chromium: without login, masked, printable; an objection sent
there reaches the clerk's application page, where the clerk decides it; a form post without
the page's token is refused. And the review queue's township filter and total."""

import re
from typing import Any

from playwright.async_api import Page, expect

from tests.console.conftest import ARTIFACTS, PASSWORD, Platform, login, screenshot

CLEAR_ID = "520522199003071233"  # national_id(123): what jobs knows and the notice never shows


async def in_notice(platform: Platform) -> dict[str, Any]:
    """One application approved with five days of public notice."""
    admin = await platform.admin()
    await platform.user(admin, "li.clerk", "bureau_clerk")
    await platform.user(admin, "wang.approver", "bureau_approver")
    (app,) = await platform.applications(admin, notice_days=5)
    path = f"/v1/subsidies/applications/{app['id']}"
    await platform.call("POST", f"{path}/verify", await platform.token("li.clerk", PASSWORD))
    approved = await platform.call(
        "POST", f"{path}/approve", await platform.token("wang.approver", PASSWORD)
    )
    assert approved["state"] == "in_notice"
    return approved  # type: ignore[no-any-return]


class TestPublicNotice:
    async def test_listed_masked_without_login_and_an_objection_reaches_the_clerk(
        self, platform, new_page
    ):
        app = await in_notice(platform)

        public: Page = await new_page()  # nobody signed in
        await public.goto("/console/login")
        await public.get_by_role("link", name="补贴公示名单（无需登录）").click()
        await expect(public).to_have_url(re.compile(r"/console/notice$"))
        await expect(public.get_by_role("heading", name="就业补贴公示名单")).to_be_visible()
        await expect(public.locator("#notice-total")).to_have_text("公示中共 1 条")
        entry = public.locator(f'tr.entry[data-application="{app["id"]}"]')
        await expect(entry).to_contain_text("王**0")  # 王小梅0, masked by jobs
        await expect(entry).to_contain_text("520***********1233")
        await expect(entry).to_contain_text("Houchang")
        await expect(entry).to_contain_text("5,000.12")
        await expect(entry).to_contain_text("广州珠江电子")  # the employer paid: a public name
        await expect(public.get_by_role("heading", level=2)).to_contain_text("稳岗补贴")
        content = await public.content()
        assert CLEAR_ID not in content and "王小梅0" not in content
        assert "ew_console" in {c["name"] for c in await public.context.cookies()}
        await screenshot(public, "public-notice")

        # Printable: the list and its headings, no forms, no menu.
        await public.emulate_media(media="print")
        await expect(public.locator("form.filters")).to_be_hidden()
        await expect(entry.locator("details")).to_be_hidden()
        await expect(public.locator("#print-heading")).to_have_text("全部项目")
        await expect(public.get_by_role("heading", level=2)).to_contain_text("公示期")
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        await public.pdf(path=str(ARTIFACTS / "public-notice.pdf"))
        await public.emulate_media(media="screen")

        # The township filter keeps it; an objection is sent from the entry.
        await public.get_by_label("乡镇").select_option("Houchang")
        await public.get_by_role("button", name="筛选").click()
        await expect(public).to_have_url(re.compile(r"township=Houchang"))
        await entry.get_by_text("对此条提出异议").click()
        await entry.get_by_label("存在的问题").fill("此人三月份已离职。身份证 520522199003071233")
        await entry.get_by_label("您的手机号码").fill("13812345678")
        await entry.get_by_role("button", name="提交异议").click()
        await expect(public.get_by_role("status")).to_have_text(
            "您的异议已收到。人社局经办人将在发放前核查。"
        )
        await expect(public).to_have_url(re.compile(r"township=Houchang"))

        # The form without its token: refused, nothing recorded.
        await entry.get_by_text("对此条提出异议").click()
        await entry.locator('input[name="csrf_token"]').evaluate("input => input.remove()")
        await entry.get_by_label("存在的问题").fill("没有令牌的异议")
        await entry.get_by_role("button", name="提交异议").click()
        await expect(public.get_by_role("heading", name="表单被拒绝")).to_be_visible()
        refused = await public.request.post(
            f"/console/notice/{app['id']}/objections", form={"text": "forged"}
        )
        assert refused.status == 403

        # The clerk sees it on the application, masked, and dismisses it with a reason.
        clerk: Page = await new_page()
        await login(clerk, "li.clerk")
        await clerk.goto(f"/console/applications/{app['id']}")
        objections = clerk.locator("#objections tbody tr")
        await expect(objections).to_have_count(1)  # the token-less ones never arrived
        await expect(objections).to_contain_text("此人三月份已离职")
        await expect(objections).to_contain_text("138****5678")
        await expect(objections).to_contain_text("公众（公示页面）")
        await expect(objections).to_contain_text("待处理")
        assert "13812345678" not in await clerk.content()
        assert CLEAR_ID not in await clerk.content()  # masked before it was kept
        await screenshot(clerk, "application-objection")
        await objections.get_by_label("处理理由").fill("经核实，该员工三月仍在岗。")
        await objections.get_by_role("button", name="异议不成立：继续公示").click()
        await expect(clerk.get_by_role("status")).to_have_text("异议不成立：公示继续。")
        await expect(objections).to_contain_text("不成立")
        await expect(objections).to_contain_text("经核实，该员工三月仍在岗。")
        await expect(clerk.locator("#app-state")).to_have_text("公示中")


class TestQueue:
    async def test_township_filter_and_total(self, platform, new_page):
        admin = await platform.admin()
        await platform.user(admin, "li.clerk", "bureau_clerk")
        await platform.applications(admin, workers=2)
        page: Page = await new_page()
        await login(page, "li.clerk")
        await page.goto("/console/applications")
        await expect(page.locator("#queue-total")).to_have_text("共 2 条")
        await page.get_by_label("乡镇").fill("Yuhe")
        await page.get_by_role("button", name="筛选").click()
        await expect(page.locator("#queue-total")).to_have_text("共 0 条")
        await expect(page).to_have_url(re.compile(r"township=Yuhe"))
        await page.get_by_label("乡镇").fill("Houchang")
        await page.get_by_role("button", name="筛选").click()
        await expect(page.locator("#queue-total")).to_have_text("共 2 条")
        await expect(page.locator("#applications tbody tr")).to_have_count(2)
