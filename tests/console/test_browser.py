"""The console as people use it, in Chromium: Chinese pages, sessions, decisions, exports."""

import re

import openpyxl
from playwright.async_api import Page, expect

from tests.console.conftest import PASSWORD, login, screenshot, short
from tests.support.apps import ADMIN_PASSWORD


class TestLogin:
    async def test_bootstrap_admin_logs_in_and_out(self, platform, new_page):
        page: Page = await new_page()
        await page.goto("/console/")
        await expect(page).to_have_url(re.compile(r"/console/login\?"))
        await expect(page.get_by_role("heading", name="登录")).to_be_visible()
        await screenshot(page, "login")

        await page.get_by_label("用户名").fill("admin")
        await page.get_by_label("密码").fill("not the password")
        await page.get_by_role("button", name="登录").click()
        await expect(page.get_by_role("alert")).to_have_text("用户名或密码错误，或账号已停用。")

        await login(page, "admin", ADMIN_PASSWORD)
        await expect(page.get_by_role("heading", name="欢迎，admin")).to_be_visible()
        await expect(page.get_by_role("link", name="工作人员", exact=True)).to_be_visible()
        await screenshot(page, "home-admin")
        cookie = next(c for c in await page.context.cookies() if c["name"] == "ew_console")
        assert cookie["httpOnly"] and cookie["sameSite"] == "Lax"
        assert cookie["path"] == "/console"

        await page.get_by_role("link", name="English").click()
        await expect(page.get_by_role("heading", name="Welcome, admin")).to_be_visible()
        await page.get_by_role("link", name="中文").click()

        await page.get_by_role("button", name="退出登录").click()
        await expect(page.get_by_role("status")).to_have_text("您已退出登录。")
        await page.goto("/console/funds")
        await expect(page).to_have_url(re.compile(r"/console/login\?reason=missing"))

    async def test_pages_send_a_strict_content_security_policy(self, platform, new_page):
        page: Page = await new_page()
        response = await page.goto("/console/login")
        assert response is not None
        csp = response.headers["content-security-policy"]
        assert "script-src 'self'" in csp and "unsafe-inline" not in csp
        htmx = await page.request.get("/console/vendor/htmx/htmx.min.js")
        assert htmx.status == 200 and b"htmx" in await htmx.body()


class TestReview:
    async def test_clerk_verifies_and_approver_approves(self, platform, new_page):
        admin = await platform.admin()
        await platform.user(admin, "li.clerk", "bureau_clerk")
        await platform.user(admin, "wang.approver", "bureau_approver")
        (app,) = await platform.applications(admin)

        clerk: Page = await new_page()
        await login(clerk, "li.clerk")
        await clerk.get_by_role("link", name="审核队列").click()
        row = clerk.locator("#applications tbody tr")
        await expect(row).to_have_count(1)
        await expect(row).to_contain_text("5,000.12")
        await expect(row).to_contain_text("待审核")
        await screenshot(clerk, "review-queue")
        await row.get_by_role("link", name="查看").click()
        await expect(clerk.locator("#app-amount")).to_have_text("5,000.12")
        # What a decision needs: the worker masked, the employer, the months, the fund.
        lines = clerk.locator("#lines")
        await expect(lines).to_contain_text("520***********1233")
        await expect(lines).not_to_contain_text("520522199003071233")
        await expect(lines).to_contain_text("广州珠江电子")
        await expect(lines).to_contain_text("2026-06, 2026-07, 2026-08")
        await expect(clerk.locator("#fund-available")).to_have_text("1,000,000.00")
        await screenshot(clerk, "application-detail")
        await clerk.get_by_role("button", name="审核通过").click()
        await expect(clerk.get_by_role("status")).to_have_text("申请已审核。")
        await expect(clerk.locator("#app-state")).to_have_text("已审核")

        approver: Page = await new_page()
        await login(approver, "wang.approver")
        await approver.goto("/console/applications")  # an approver's queue: the verified ones
        await approver.locator("#applications tbody tr").get_by_role("link", name="查看").click()
        await approver.get_by_role("button", name="审批通过").click()
        await expect(approver.get_by_role("status")).to_have_text("申请已审批通过。")
        await expect(approver.locator("#app-state")).to_have_text("待发放")  # no notice days
        await expect(approver.locator("#fund-available")).to_have_text("994,999.88")

        state = await platform.call("GET", f"/v1/subsidies/applications/{app['id']}", admin)
        assert state["state"] == "ready_for_payment"
        assert state["verified_by"] != state["approved_by"]

    async def test_maker_checker_refusal_in_words(self, platform, new_page):
        admin = await platform.admin()
        user_id = await platform.user(admin, "zhao", "bureau_clerk")
        await platform.applications(admin)
        page: Page = await new_page()
        await login(page, "zhao")
        await page.goto("/console/applications")
        await page.locator("#applications tbody tr").get_by_role("link", name="查看").click()
        await page.get_by_role("button", name="审核通过").click()
        await expect(page.locator("#app-state")).to_have_text("已审核")

        # Zhao is made an approver: the application Zhao verified is still not Zhao's to approve.
        await platform.call(
            "PATCH", f"/v1/admin/users/{user_id}", admin, json={"role": "bureau_approver"}
        )
        await page.get_by_role("button", name="退出登录").click()
        await login(page, "zhao")
        await page.goto("/console/applications?state=verified")
        await page.locator("#applications tbody tr").get_by_role("link", name="查看").click()
        await page.get_by_role("button", name="审批通过").click()
        await expect(page.get_by_role("alert")).to_have_text(
            "双人复核规则：这件申请是您本人创建或审核的，必须由另一位审批人审批。"
        )
        await expect(page.locator("#app-state")).to_have_text("已审核")
        await screenshot(page, "maker-checker-refused")

        # In bulk too, item by item.
        await page.goto("/console/applications?state=verified")
        await page.locator("#applications tbody input[type=checkbox]").check()
        await page.get_by_role("button", name="批量审批所选").click()
        await expect(page.locator("#bulk-results")).to_contain_text("双人复核规则")
        await expect(page.get_by_role("status")).to_have_text("成功 0 件，被拒绝 1 件。")


class TestCsrf:
    async def test_form_post_without_csrf_token_refused(self, platform, new_page):
        admin = await platform.admin()
        await platform.user(admin, "li.clerk", "bureau_clerk")
        (app,) = await platform.applications(admin)
        page: Page = await new_page()
        await login(page, "li.clerk")
        await page.goto(f"/console/applications/{app['id']}")
        await page.locator('form.decision input[name="csrf_token"]').first.evaluate(
            "input => input.remove()"
        )
        await page.get_by_role("button", name="审核通过").click()
        await expect(page.get_by_role("heading", name="表单被拒绝")).to_be_visible()
        await expect(page.get_by_role("alert")).to_contain_text("缺少页面的安全令牌")
        state = await platform.call("GET", f"/v1/subsidies/applications/{app['id']}", admin)
        assert state["state"] == "pending_verification"  # nothing changed

        # A post from elsewhere, with the session cookie but a wrong token, is refused too.
        refused = await page.request.post(
            f"/console/applications/{app['id']}/verify", form={"csrf_token": "guess"}
        )
        assert refused.status == 403


class TestExcel:
    async def test_export_has_the_rows_of_the_page(self, platform, new_page, tmp_path):
        admin = await platform.admin()
        await platform.user(admin, "li.clerk", "bureau_clerk")
        apps = await platform.applications(admin, workers=3)
        page: Page = await new_page()
        await login(page, "li.clerk")
        await page.goto("/console/applications?state=pending_verification")
        rows = page.locator("#applications tbody tr")
        await expect(rows).to_have_count(3)
        shown = sorted(
            [
                (
                    await row.locator("td").nth(1).inner_text(),
                    await row.locator("td.num").inner_text(),
                )
                for row in await rows.all()
            ]
        )
        async with page.expect_download() as waiting:
            await page.get_by_role("link", name="导出 Excel").click()
        download = await waiting.value
        path = tmp_path / "export.xlsx"
        await download.save_as(path)

        sheet = openpyxl.load_workbook(path).active
        header, *data = list(sheet.iter_rows(values_only=True))
        assert header[:8] == (
            "申请",
            "补贴项目",
            "规则版本",
            "月份",
            "乡镇",
            "受益方",
            "金额（元）",
            "状态",
        )
        assert sorted(r[0] for r in data) == sorted(a["id"] for a in apps)
        assert sorted((r[1], f"{r[6]:,.2f}") for r in data) == shown
        assert {str(r[6]) for r in data} == {"5000.12"}  # exact, from fen
        assert {r[7] for r in data} == {"待审核"}
        assert short(data[0][0]) in await page.content()


class TestAdmin:
    async def test_admin_creates_a_clerk_and_an_api_key(self, platform, new_page):
        page: Page = await new_page()
        await login(page, "admin", ADMIN_PASSWORD)
        await page.get_by_role("link", name="工作人员", exact=True).click()
        await page.get_by_label("用户名").fill("chen.clerk")
        await page.get_by_label("姓名/名称").fill("陈经办")
        await page.get_by_label("角色").select_option("bureau_clerk")
        await page.get_by_label("密码").fill(PASSWORD)
        await page.get_by_role("button", name="创建").click()
        await expect(page.get_by_role("status")).to_have_text("工作人员账号 chen.clerk 已创建。")
        await expect(page.locator("#users")).to_contain_text("陈经办")
        await expect(page.locator("#users")).to_contain_text("人社局经办人")
        await screenshot(page, "admin-users")

        # The same name again: refused in words, the form kept.
        await page.get_by_label("用户名").fill("chen.clerk")
        await page.get_by_label("密码").fill(PASSWORD)
        await page.get_by_role("button", name="创建").click()
        await expect(page.get_by_role("alert")).to_contain_text("与已有数据冲突")

        await page.get_by_role("link", name="API 密钥").click()
        await page.get_by_label("姓名/名称").fill("审计接口")
        await page.get_by_label("角色").select_option("auditor")
        await page.get_by_role("button", name="创建").click()
        key = await page.locator("#new-key code").inner_text()
        assert re.fullmatch(r"ew_[a-z0-9]{8}_[A-Za-z0-9_-]{43}", key)
        await screenshot(page, "admin-api-keys")
        await page.goto("/console/admin/api-keys")
        assert key not in await page.content()  # shown once
        await expect(page.locator("#api-keys")).to_contain_text(f"ew_{key[3:11]}_…")
        await page.get_by_role("button", name="吊销").click()
        await expect(page.get_by_role("status")).to_have_text("密钥已吊销。")

        clerk: Page = await new_page()
        await login(clerk, "chen.clerk")
        await expect(clerk.get_by_role("heading", name="欢迎，chen.clerk")).to_be_visible()


class TestPayments:
    async def test_batch_exported_and_bank_result_uploaded(self, platform, new_page, tmp_path):
        admin = await platform.admin()
        for name, role in (("li.clerk", "bureau_clerk"), ("he.clerk", "bureau_clerk")):
            await platform.user(admin, name, role)
        await platform.user(admin, "wang.approver", "bureau_approver")
        apps = await platform.applications(admin, workers=2)
        clerk = await platform.token("li.clerk", PASSWORD)
        approver = await platform.token("wang.approver", PASSWORD)
        ids = [a["id"] for a in apps]
        await platform.call(
            "POST", "/v1/subsidies/applications/bulk-verify", clerk, json={"application_ids": ids}
        )
        await platform.call(
            "POST",
            "/v1/subsidies/applications/bulk-approve",
            approver,
            json={"application_ids": ids},
        )
        # Another clerk enters the employer's account: whoever enters it may not export.
        await platform.call(
            "POST",
            "/v1/subsidies/payees",
            await platform.token("he.clerk", PASSWORD),
            json={
                "beneficiary_kind": "employer",
                "beneficiary_id": apps[0]["beneficiary_id"],
                "holder_name": "广州珠江电子",
                "account_number": "6222020200112233445",
                "bank_name": "工商银行海珠支行",
            },
        )

        page: Page = await new_page()
        await login(page, "li.clerk")
        await page.get_by_role("link", name="资金发放").click()
        await page.get_by_role("button", name="将全部待发放申请生成发放批次").click()
        await expect(page.get_by_role("status")).to_have_text("发放批次已生成。")
        await expect(page.locator("#batch-lines tbody tr")).to_have_count(2)
        await expect(page.locator("#batch-lines")).not_to_contain_text("6222020200112233445")
        # The bank-friendly format unless chosen otherwise: GBK, amounts in yuan.
        await expect(page.get_by_label("编码").first).to_have_value("gbk")
        await expect(page.get_by_label("金额单位").first).to_have_value("yuan")
        async with page.expect_download() as waiting:
            await page.get_by_role("button", name="导出银行代发文件").click()
        bank_file = await (await waiting.value).path()
        raw = bank_file.read_bytes()
        lines = raw.decode("gbk").splitlines()
        assert lines[0].startswith("line_id,line_no,payee_name,account_number")
        assert "amount_yuan" in lines[0] and "amount_fen" not in lines[0]
        assert all(",5000.12,CNY," in line for line in lines[1:3])
        assert "广州珠江电子".encode("gbk") in raw  # GBK bytes, not UTF-8
        line_ids = [line.split(",")[0] for line in lines[1:3]]

        await page.reload()
        await expect(page.locator("#batch-state")).to_have_text("已导出")
        result = tmp_path / "result.csv"
        result.write_text(
            "line_id,status,amount_fen,bank_reference,reason\r\n"
            f"{line_ids[0]},paid,500012,ICBC-0001,\r\n"
            f"{line_ids[1]},failed,500012,,账户已销户\r\n",
            encoding="utf-8",
        )
        await page.get_by_label("回盘文件（CSV）").set_input_files(result)
        await page.get_by_role("button", name="上传").click()
        await expect(page.get_by_role("status")).to_have_text(
            "银行回盘已导入：成功 1 笔，失败 1 笔，待定 0 笔。"
        )
        await expect(page.locator("#paid-count")).to_have_text("1")
        await expect(page.locator("#failed-count")).to_have_text("1")
        await expect(page.locator("#batch-lines")).to_contain_text("账户已销户")
        await expect(page.locator("#batch-state")).to_have_text("已对账")
        await screenshot(page, "payment-batch")

        # Downloaded again as UTF-8 with BOM: the same lines.
        await page.get_by_label("编码").select_option("utf-8-sig")
        async with page.expect_download() as waiting:
            await page.get_by_role("button", name="重新下载银行代发文件").click()
        again = (await (await waiting.value).path()).read_bytes()
        assert again.startswith(b"\xef\xbb\xbf")
        assert again[3:].decode("utf-8").splitlines()[1:3] == lines[1:3]

        # The failed line is sent again only after the account is replaced.
        retries = page.locator("#retries tbody tr")
        await expect(retries).to_have_count(1)
        await expect(retries).to_contain_text("账户已销户")
        await expect(retries).to_contain_text("尚未更换")
        await expect(page.get_by_role("button", name="将所选发放加入新批次")).to_have_count(0)
        await retries.get_by_role("link", name="更换银行账户").click()
        await expect(page.locator("#payees")).to_contain_text("3445")
        await page.get_by_label("户名").fill("广州珠江电子")
        await page.get_by_label("账号", exact=True).fill("6222020200998877665")
        await page.get_by_label("开户银行及网点").fill("建设银行海珠支行")
        await page.get_by_role("button", name="保存新账户").click()
        await expect(page).to_have_url(re.compile(r"/console/batches/[0-9a-f-]{36}\?done=payee$"))
        await expect(page.get_by_role("status")).to_contain_text("银行账户已更换")
        await expect(retries).to_contain_text("7665")
        assert "6222020200998877665" not in await page.content()
        await page.get_by_role("button", name="将所选发放加入新批次").click()
        await expect(page.get_by_role("status")).to_have_text("发放批次已生成。")
        await expect(page.locator("#batch-lines tbody tr")).to_have_count(1)
        await expect(page.locator("#batch-lines")).to_contain_text("7665")
        await expect(page.locator("#batch-state")).to_have_text("草稿")

        # The dashboard: paid per program by the bank's settlement date, as the API says.
        paid = await platform.call("GET", "/v1/subsidies/statistics/paid", clerk)
        assert paid["total_paid_fen"] == 500012
        await page.goto("/console/dashboard")
        await expect(page.locator("#fig-subsidies_paid")).to_have_text("5,000.12")
        row = page.locator("#subsidies-paid tbody tr")
        await expect(row).to_have_count(1)
        await expect(row.locator("td").nth(0)).to_have_text("稳岗补贴")
        await expect(row.locator("td").nth(2)).to_have_text("1")
        await expect(row.locator("td").nth(4)).to_have_text("5,000.12")

        await page.get_by_role("link", name="资金与补贴项目").click()
        await expect(page.locator("#funds")).to_contain_text("5,000.12")
        await screenshot(page, "funds")
