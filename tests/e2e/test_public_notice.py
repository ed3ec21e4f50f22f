"""The public notice (公示) through the gateway, with the real services: a worker the bureau
registers in clear in the jobs service appears on the subsidies notice without login, masked
only; an objection from the public reaches the clerks; a corrected name reaches the notice,
masked."""

import json
import re

from tests.support.infra import wait_until

CLEAR_NAME = "王小明"
CORRECTED_NAME = "欧阳晓明"
NATIONAL_ID = "520522199003071233"  # Weng'an county code, valid MOD 11-2 check digit
PHONE = "13985012345"
ID_SHAPE = re.compile(r"(?<![0-9A-Za-z])\d{17}[\dXx](?![0-9A-Za-z])")


class TestPublicNotice:
    async def test_masked_without_login_and_an_objection_reaches_the_clerks(self, platform):
        api = platform.client
        admin = await platform.admin()
        clerk = await platform.staff(admin, "clerk", "bureau_clerk")
        approver = await platform.staff(admin, "approver", "bureau_approver")

        fund = await api.post(
            "/v1/subsidies/funds",
            headers=admin,
            json={"code": "gz-aid", "name": "Guangzhou aid", "budget_fen": 10_000_000},
        )
        assert fund.status_code == 201, fund.text
        program = await api.post(
            "/v1/subsidies/programs",
            headers=admin,
            json={
                "code": "dedicated-post",
                "name": "Dedicated-post subsidy (扶贫专岗补贴)",
                "fund_id": fund.json()["id"],
                "employer_kind": "dedicated_post",
                "beneficiary_kind": "worker",
                "amount_rule": "per_person_month",
                "amount_fen": 50_000,
                "required_months": 1,
                "poor_only": True,
                "notice_days": 5,
                "valid_from": "2026-01-01",
            },
        )
        assert program.status_code == 201, program.text
        unit = await api.post(
            "/v1/jobs/employers",
            headers=admin,
            json={
                "kind": "dedicated_post",
                "name": "Houchang forest ranger posts",
                "location": "Houchang",
            },
        )
        assert unit.status_code == 201, unit.text
        worker = await api.post(
            "/v1/jobs/workers",
            headers=clerk,
            json={
                "name": CLEAR_NAME,
                "national_id": NATIONAL_ID,
                "phone": PHONE,
                "township": "Houchang",
                "poor_household": True,
                "skills": [],
            },
        )
        assert worker.status_code == 201, worker.text
        placement = await api.post(
            "/v1/jobs/placements",
            headers=clerk,
            json={
                "worker_id": worker.json()["id"],
                "employer_id": unit.json()["id"],
                "start_date": "2026-10-01",
                "monthly_wage_fen": 150_000,
            },
        )
        assert placement.status_code == 201, placement.text
        r = await api.post(
            f"/v1/jobs/placements/{placement.json()['id']}/confirmations",
            headers=clerk,
            json={"month": "2026-10", "wage_paid_fen": 150_000},
        )
        assert r.status_code == 201, r.text

        async def application():
            r = await api.get("/v1/subsidies/applications", headers=clerk)
            items = r.json()["items"]
            return items[0] if items else None

        app = await wait_until(application, timeout=30, what="the dedicated-post application")
        assert (
            await api.post(f"/v1/subsidies/applications/{app['id']}/verify", headers=clerk)
        ).status_code == 200
        approved = await api.post(
            f"/v1/subsidies/applications/{app['id']}/approve", headers=approver
        )
        assert approved.status_code == 200 and approved.json()["state"] == "in_notice"

        # Anyone, without login: the notice shows the worker masked, and nothing in clear.
        board = await api.get("/v1/subsidies/notices?program_code=dedicated-post")
        assert board.status_code == 200, board.text
        assert board.json()["total"] == 1
        [item] = board.json()["items"]
        assert item["application_id"] == app["id"]
        assert item["beneficiary_name"] == "王*明"
        [person] = item["people"]
        assert person == {
            "name_masked": "王*明",
            "national_id_masked": "520***********1233",
            "township": "Houchang",
            "month": "2026-10",
            "amount_fen": 50_000,
        }
        text = json.dumps(board.json(), ensure_ascii=False)
        assert CLEAR_NAME not in text and NATIONAL_ID not in text and PHONE not in text
        assert not ID_SHAPE.search(text)
        assert worker.json()["id"] not in text

        # An objection from the public reaches the application, masked, and its audit trail.
        r = await api.post(
            item["objection_path"],
            json={"text": "他十月份没有上岗。", "contact": "139 8501 2346"},
        )
        assert r.status_code == 201, r.text
        detail = await api.get(f"/v1/subsidies/applications/{app['id']}", headers=clerk)
        [objection] = detail.json()["objections"]
        assert objection["recorded_by"] == "public"
        assert objection["status"] == "open"
        assert objection["contact_masked"] == "139****2346"
        assert "13985012346" not in detail.text
        audit = await api.get(f"/v1/subsidies/audit?entity_id={app['id']}", headers=admin)
        assert audit.json()["items"][-1]["action"] == "objection_received"
        # Nothing else of the subsidies service opened up.
        assert (await api.get(f"/v1/subsidies/applications/{app['id']}")).status_code == 401

        # The bureau corrects the worker's name in the jobs service: the notice follows, masked.
        r = await api.patch(
            f"/v1/jobs/workers/{worker.json()['id']}",
            headers=clerk,
            json={"name": CORRECTED_NAME, "reason": "name misspelt at registration"},
        )
        assert r.status_code == 200, r.text

        async def corrected():
            board = await api.get("/v1/subsidies/notices?program_code=dedicated-post")
            [item] = board.json()["items"]
            return board if item["people"][0]["name_masked"] == "欧**明" else None

        board = await wait_until(corrected, timeout=30, what="the corrected name on the notice")
        [item] = board.json()["items"]
        assert item["beneficiary_name"] == "欧**明"
        assert item["people"][0]["national_id_masked"] == "520***********1233"
        text = json.dumps(board.json(), ensure_ascii=False)
        assert CORRECTED_NAME not in text and CLEAR_NAME not in text
