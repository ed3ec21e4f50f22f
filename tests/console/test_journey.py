"""The issue's measure of done, as one person would live it in Chromium and in Chinese: the
bootstrap admin creates a clerk and an approver, and an application the employment events made
eligible is taken to paid — verified, approved, put in a batch, exported, reconciled."""

import re

from playwright.async_api import Page, expect

from tests.console.conftest import PASSWORD, login, screenshot
from tests.support.apps import ADMIN_PASSWORD


async def create_user(page: Page, username: str, name: str, role: str) -> None:
    await page.get_by_label("用户名").fill(username)
    await page.get_by_label("姓名/名称").fill(name)
    await page.get_by_label("角色").select_option(role)
    await page.get_by_label("密码").fill(PASSWORD)
    await page.get_by_role("button", name="创建").click()
    await expect(page.get_by_role("status")).to_have_text(f"工作人员账号 {username} 已创建。")


class TestNewcomersJourney:
    async def test_from_eligible_to_paid_in_the_browser(self, platform, new_page, tmp_path):
        # The employment events (a partner's hire, three confirmed months) made one application.
        (app,) = await platform.applications(await platform.admin())

        admin: Page = await new_page()
        await login(admin, "admin", ADMIN_PASSWORD)
        await admin.get_by_role("link", name="工作人员", exact=True).click()
        await create_user(admin, "li.clerk", "李经办", "bureau_clerk")
        await create_user(admin, "wang.approver", "王审批", "bureau_approver")
        # The admin enters the employer's bank account (whoever enters it may not export it).
        await admin.goto(f"/console/applications/{app['id']}")
        await admin.locator("#payee-link").click()
        await admin.get_by_label("户名").fill("广州珠江电子")
        await admin.get_by_label("账号", exact=True).fill("6222020200112233445")
        await admin.get_by_label("开户银行及网点").fill("工商银行海珠支行")
        await admin.get_by_role("button", name="保存新账户").click()
        await expect(admin.get_by_role("status")).to_contain_text("银行账户已更换")

        clerk: Page = await new_page()
        await login(clerk, "li.clerk")
        await clerk.get_by_role("link", name="审核队列").click()
        await clerk.locator("#applications tbody tr").get_by_role("link", name="查看").click()
        await clerk.get_by_role("button", name="审核通过").click()
        await expect(clerk.locator("#app-state")).to_have_text("已审核")

        approver: Page = await new_page()
        await login(approver, "wang.approver")
        await approver.get_by_role("link", name="审核队列").click()
        await approver.locator("#applications tbody tr").get_by_role("link", name="查看").click()
        await approver.get_by_role("button", name="审批通过").click()
        await expect(approver.locator("#app-state")).to_have_text("待发放")

        await clerk.get_by_role("link", name="资金发放").click()
        await clerk.get_by_role("button", name="将全部待发放申请生成发放批次").click()
        await expect(clerk.get_by_role("status")).to_have_text("发放批次已生成。")
        await expect(clerk.locator("#batch-lines tbody tr")).to_have_count(1)
        async with clerk.expect_download() as waiting:
            await clerk.get_by_role("button", name="导出银行代发文件").click()
        lines = (await (await waiting.value).path()).read_bytes().decode("gbk").splitlines()
        line_id = lines[1].split(",")[0]
        assert ",5000.12,CNY," in lines[1]

        await clerk.reload()
        result = tmp_path / "回盘.csv"
        result.write_text(
            f"line_id,status,amount_fen,bank_reference,reason\r\n{line_id},paid,500012,ICBC-1,\r\n",
            encoding="utf-8",
        )
        await clerk.get_by_label("回盘文件（CSV）").set_input_files(result)
        await clerk.get_by_role("button", name="上传").click()
        await expect(clerk.get_by_role("status")).to_have_text(
            "银行回盘已导入：成功 1 笔，失败 0 笔，待定 0 笔。"
        )
        await expect(clerk.locator("#batch-state")).to_have_text("已对账")

        await clerk.goto(f"/console/applications/{app['id']}")
        await expect(clerk.locator("#app-state")).to_have_text("已发放")
        await expect(clerk.locator("body")).not_to_contain_text("6222020200112233445")
        await screenshot(clerk, "journey-paid")
        assert re.search(r"/console/applications/", clerk.url)
