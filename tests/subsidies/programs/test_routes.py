"""Funds and programs: created by admins, versioned on change, refused when wrong."""

import uuid

import pytest

from tests.subsidies.factories import (
    ADMIN,
    API,
    AUDITOR,
    CLERK,
    DEDICATED,
    PARTNER,
    STABLE,
    STORE,
    WORKSHOP,
    applications,
    approve,
    create_fund,
    create_program,
    dedicated_applications,
    get_fund,
    verify,
    wait_for_applications,
)


class TestCreateFund:
    async def test_created_with_its_budget(self, subsidies):
        fund = await create_fund(subsidies, code="guangzhou-aid", budget_fen=9_000_000_000)
        assert fund["budget_fen"] == 9_000_000_000
        assert (fund["reserved_fen"], fund["paid_fen"]) == (0, 0)
        assert fund["available_fen"] == 9_000_000_000

    async def test_duplicate_code_is_409(self, subsidies):
        await create_fund(subsidies, code="gz-aid")
        r = await subsidies.client.post(
            f"{API}/funds", headers=ADMIN, json={"code": "gz-aid", "name": "again", "budget_fen": 1}
        )
        assert r.status_code == 409
        assert "gz-aid" in r.json()["detail"]

    @pytest.mark.parametrize(
        "body",
        [
            {"code": "f1", "name": "x", "budget_fen": 1, "reserved_fen": 5},
            {"code": "f1", "name": "x", "budget_fen": -1},
            {"code": "f1", "name": "x", "budget_fen": 10**30},
            {"code": "F 1", "name": "x", "budget_fen": 1},
            {"code": "f1", "name": "x", "budget_fen": 1.5},
        ],
    )
    async def test_bad_input_is_422(self, subsidies, body):
        r = await subsidies.client.post(f"{API}/funds", headers=ADMIN, json=body)
        assert r.status_code == 422
        assert r.headers["content-type"] == "application/problem+json"

    @pytest.mark.parametrize("budget", ["3", 3.0, 1e3, "100"])
    async def test_budget_only_as_a_json_integer(self, subsidies, budget):
        # Pydantic read 1e3 as a budget of 1,000 fen.
        r = await subsidies.client.post(
            f"{API}/funds", headers=ADMIN, json={"code": "f1", "name": "x", "budget_fen": budget}
        )
        assert r.status_code == 422
        assert r.headers["content-type"] == "application/problem+json"
        assert "budget_fen: must be a whole number of fen" in r.json()["detail"]
        r = await subsidies.client.get(f"{API}/funds", headers=ADMIN)
        assert r.json()["items"] == []

    @pytest.mark.parametrize("headers", [CLERK, PARTNER, STORE, AUDITOR])
    async def test_only_admins_create_funds(self, subsidies, headers):
        r = await subsidies.client.post(
            f"{API}/funds", headers=headers, json={"code": "f1", "name": "x", "budget_fen": 1}
        )
        assert r.status_code == 403

    async def test_no_identity_is_401(self, subsidies):
        r = await subsidies.client.get(f"{API}/funds")
        assert r.status_code == 401


class TestUpdateFund:
    async def test_budget_cannot_go_below_what_is_committed(self, subsidies, feed):
        fund, [app] = await dedicated_applications(subsidies, feed, 1, fund_budget=80_000)
        await verify(subsidies, app["id"])
        await approve(subsidies, app["id"])
        r = await subsidies.client.patch(
            f"{API}/funds/{fund['id']}", headers=ADMIN, json={"budget_fen": 49_999}
        )
        assert r.status_code == 409
        assert "50000" in r.json()["detail"]
        r = await subsidies.client.patch(
            f"{API}/funds/{fund['id']}", headers=ADMIN, json={"budget_fen": 50_000}
        )
        assert r.status_code == 200
        assert r.json()["available_fen"] == 0

    @pytest.mark.parametrize("budget", [False, True])
    async def test_true_or_false_is_not_a_budget(self, subsidies, budget):
        # Pydantic read false as 0: the fund's budget was emptied.
        fund = await create_fund(subsidies)
        r = await subsidies.client.patch(
            f"{API}/funds/{fund['id']}", headers=ADMIN, json={"budget_fen": budget}
        )
        assert r.status_code == 422
        assert r.headers["content-type"] == "application/problem+json"
        assert "budget_fen: must be a whole number" in r.json()["detail"]
        assert (await get_fund(subsidies, fund["id"]))["budget_fen"] == fund["budget_fen"]

    @pytest.mark.parametrize("budget", ["3", 3.0, 1e3, "100"])
    async def test_budget_only_as_a_json_integer(self, subsidies, budget):
        # Pydantic read "100", 3.0 and 1e3 as fen.
        fund = await create_fund(subsidies)
        r = await subsidies.client.patch(
            f"{API}/funds/{fund['id']}", headers=ADMIN, json={"budget_fen": budget}
        )
        assert r.status_code == 422
        assert r.headers["content-type"] == "application/problem+json"
        assert "budget_fen: must be a whole number of fen" in r.json()["detail"]
        assert (await get_fund(subsidies, fund["id"]))["budget_fen"] == fund["budget_fen"]

    async def test_unknown_fund_is_404(self, subsidies):
        r = await subsidies.client.patch(
            f"{API}/funds/{uuid.uuid4()}", headers=ADMIN, json={"name": "x"}
        )
        assert r.status_code == 404


class TestCreateProgram:
    @pytest.mark.parametrize("template", [STABLE, WORKSHOP, DEDICATED])
    async def test_the_three_program_kinds(self, subsidies, template):
        fund = await create_fund(subsidies)
        program = await create_program(subsidies, template, fund["id"])
        assert program["version"] == 1 and program["is_current"]
        assert program["created_by"] == "user:admin-1"
        r = await subsidies.client.get(f"{API}/programs/{template['code']}", headers=CLERK)
        assert r.json()["id"] == program["id"]

    async def test_unknown_fund_is_404(self, subsidies):
        r = await subsidies.client.post(
            f"{API}/programs", headers=ADMIN, json=STABLE | {"fund_id": str(uuid.uuid4())}
        )
        assert r.status_code == 404

    async def test_duplicate_code_is_409(self, subsidies):
        fund = await create_fund(subsidies)
        await create_program(subsidies, STABLE, fund["id"])
        r = await subsidies.client.post(
            f"{API}/programs", headers=ADMIN, json=STABLE | {"fund_id": fund["id"]}
        )
        assert r.status_code == 409

    @pytest.mark.parametrize(
        "change",
        [
            {"version": 7},
            {"amount_fen": 0},
            {"employer_kind": "store"},
            {"not_stackable_with": ["Not A Code"]},
            {"notice_days": 1000},
            {"valid_until": "2019-12-31"},
            {"amount_fen": 10**15},
        ],
    )
    async def test_bad_rules_are_422(self, subsidies, change):
        fund = await create_fund(subsidies)
        r = await subsidies.client.post(
            f"{API}/programs", headers=ADMIN, json=STABLE | {"fund_id": fund["id"]} | change
        )
        assert r.status_code == 422

    @pytest.mark.parametrize(
        ("change", "field"),
        [
            ({"valid_from": 0}, "valid_from: must be a date written YYYY-MM-DD"),
            ({"valid_until": 1609372800}, "valid_until: must be a date written YYYY-MM-DD"),
            ({"notice_days": True}, "notice_days: must be a whole number"),
            ({"amount_fen": True}, "amount_fen: must be a whole number"),
            ({"amount_fen": "500000"}, "amount_fen: must be a whole number of fen"),
            ({"amount_fen": 5000.00}, "amount_fen: must be a whole number of fen"),
            ({"amount_fen": 5e5}, "amount_fen: must be a whole number of fen"),
            ({"cap_per_person_fen": "100"}, "cap_per_person_fen: must be a whole number"),
            ({"notice_days": "3"}, "notice_days: must be a whole number"),
            ({"required_months": 3.0}, "required_months: must be a whole number"),
        ],
    )
    async def test_numbers_and_dates_only_as_written(self, subsidies, change, field):
        # Pydantic read 0 as 1970-01-01 and true as 1.
        fund = await create_fund(subsidies)
        r = await subsidies.client.post(
            f"{API}/programs", headers=ADMIN, json=STABLE | {"fund_id": fund["id"]} | change
        )
        assert r.status_code == 422
        assert r.headers["content-type"] == "application/problem+json"
        assert field in r.json()["detail"]
        r = await subsidies.client.get(f"{API}/programs/{STABLE['code']}", headers=CLERK)
        assert r.status_code == 404

    async def test_store_key_is_403(self, subsidies):
        fund = await create_fund(subsidies)
        r = await subsidies.client.post(
            f"{API}/programs", headers=STORE, json=STABLE | {"fund_id": fund["id"]}
        )
        assert r.status_code == 403


class TestReviseProgram:
    async def test_change_makes_a_new_version_and_applications_keep_theirs(self, subsidies, feed):
        fund = await create_fund(subsidies)
        v1 = await create_program(subsidies, DEDICATED, fund["id"])
        p = await feed.placement(kind="dedicated_post")
        await feed.month(p, "2020-03")
        [first] = await wait_for_applications(subsidies, 1)
        revised = {k: v for k, v in DEDICATED.items() if k != "code"} | {
            "fund_id": fund["id"],
            "amount_fen": 60_000,
            "reason": "2020 rate raised",
        }
        r = await subsidies.client.put(
            f"{API}/programs/dedicated-post", headers=ADMIN, json=revised
        )
        assert r.status_code == 200, r.text
        v2 = r.json()
        assert v2["version"] == 2 and v2["id"] != v1["id"]
        await feed.month(p, "2020-04")
        apps = await wait_for_applications(subsidies, 2)
        by_month = {a["month"]: a for a in apps}
        assert by_month["2020-03"]["id"] == first["id"]
        assert (by_month["2020-03"]["program_version"], by_month["2020-03"]["amount_fen"]) == (
            1,
            50_000,
        )
        assert (by_month["2020-04"]["program_version"], by_month["2020-04"]["amount_fen"]) == (
            2,
            60_000,
        )
        r = await subsidies.client.get(f"{API}/programs/dedicated-post/versions", headers=AUDITOR)
        assert [(v["version"], v["is_current"]) for v in r.json()] == [(1, False), (2, True)]
        assert (await get_fund(subsidies, fund["id"]))["reserved_fen"] == 0

    async def test_reason_is_required(self, subsidies):
        fund = await create_fund(subsidies)
        await create_program(subsidies, DEDICATED, fund["id"])
        body = {k: v for k, v in DEDICATED.items() if k != "code"} | {"fund_id": fund["id"]}
        r = await subsidies.client.put(f"{API}/programs/dedicated-post", headers=ADMIN, json=body)
        assert r.status_code == 422

    async def test_unknown_program_is_404(self, subsidies):
        fund = await create_fund(subsidies)
        body = {k: v for k, v in DEDICATED.items() if k != "code"} | {
            "fund_id": fund["id"],
            "reason": "x",
        }
        r = await subsidies.client.put(f"{API}/programs/nothing", headers=ADMIN, json=body)
        assert r.status_code == 404


async def _reevaluate(subsidies, code: str, body: dict, who=ADMIN):  # type: ignore[no-untyped-def]
    return await subsidies.client.post(f"{API}/programs/{code}/reevaluate", headers=who, json=body)


async def _program_audit(subsidies, program_id: str) -> list[dict]:  # type: ignore[no-untyped-def]
    r = await subsidies.client.get(
        f"{API}/audit", headers=AUDITOR, params={"entity_id": program_id}
    )
    assert r.status_code == 200, r.text
    return r.json()["items"]  # type: ignore[no-any-return]


class TestReevaluateProgram:
    """Issue 8, item 3: a program created after the employment events never applied to them."""

    async def test_program_created_after_the_events_applies_to_them_on_request(
        self, subsidies, feed
    ):
        fund = await create_fund(subsidies)
        p = await feed.placement(kind="dedicated_post")
        q = await feed.placement(kind="dedicated_post")
        await feed.months(p, "2020-03", "2020-04")
        await feed.month(q, "2020-03")
        elsewhere = await feed.placement(kind="workshop")
        await feed.month(elsewhere, "2020-03")
        await feed.barrier()
        program = await create_program(subsidies, DEDICATED, fund["id"])
        assert await applications(subsidies) == []
        expected = sorted(
            [
                (p["placement_id"], "2020-03", 50_000),
                (p["placement_id"], "2020-04", 50_000),
                (q["placement_id"], "2020-03", 50_000),
            ]
        )

        r = await _reevaluate(subsidies, "dedicated-post", {"dry_run": True})
        assert r.status_code == 200, r.text
        plan = r.json()
        assert (plan["dry_run"], plan["program_version"], plan["placements_evaluated"]) == (
            True,
            1,
            2,
        )
        assert (plan["grant_count"], plan["total_fen"], plan["refused"]) == (3, 150_000, [])
        got = sorted((g["placement_id"], g["month"], g["amount_fen"]) for g in plan["grants"])
        assert got == expected
        assert all(g["application_id"] is None for g in plan["grants"])
        assert await applications(subsidies) == []  # a dry run changes nothing
        assert "program.reevaluated" not in [
            e["action"] for e in await _program_audit(subsidies, program["id"])
        ]

        r = await _reevaluate(subsidies, "dedicated-post", {"dry_run": False})
        assert r.status_code == 200, r.text
        done = r.json()
        assert (done["dry_run"], done["grant_count"], done["total_fen"]) == (False, 3, 150_000)
        got = sorted((g["placement_id"], g["month"], g["amount_fen"]) for g in done["grants"])
        assert got == expected
        apps = await applications(subsidies, program_code="dedicated-post")
        assert {a["id"] for a in apps} == {g["application_id"] for g in done["grants"]}
        assert {(a["created_by"], a["state"]) for a in apps} == {
            ("system:eligibility", "pending_verification")
        }
        [entry] = [
            e
            for e in await _program_audit(subsidies, program["id"])
            if e["action"] == "program.reevaluated"
        ]
        assert entry["actor"] == "user:admin-1"
        assert "3 grant(s)" in entry["reason"] and "150000 fen" in entry["reason"]

        # Running it again, or the same months arriving again as events, adds nothing.
        r = await _reevaluate(subsidies, "dedicated-post", {"dry_run": False})
        assert (r.json()["grant_count"], r.json()["grants"]) == (0, [])
        await feed.month(p, "2020-03")
        await feed.month(p, "2020-05")
        await feed.barrier()
        apps = await applications(subsidies, program_code="dedicated-post")
        assert sorted((a["lines"][0]["placement_id"], a["month"]) for a in apps) == sorted(
            [(pl, m) for pl, m, _ in expected] + [(p["placement_id"], "2020-05")]
        )

    async def test_stacking_rules_apply_and_refusals_are_listed(self, subsidies, feed):
        fund = await create_fund(subsidies)
        await create_program(subsidies, STABLE, fund["id"])
        p = await feed.placement()
        await feed.months(p, "2020-01", "2020-02", "2020-03")
        await wait_for_applications(subsidies, 1, program_code="stable-employment")
        await create_program(
            subsidies,
            STABLE,
            fund["id"],
            code="stable-monthly",
            amount_rule="per_person_month",
            amount_fen=20_000,
            required_months=1,
            not_stackable_with=["stable-employment"],
        )
        r = await _reevaluate(subsidies, "stable-monthly", {"dry_run": False})
        assert r.status_code == 200, r.text
        assert (r.json()["grant_count"], r.json()["grants"]) == (0, [])
        refused = r.json()["refused"]
        assert sorted(x["month"] for x in refused) == ["2020-01", "2020-02", "2020-03"]
        assert all("stable-employment" in x["reason"] for x in refused)
        assert len(await applications(subsidies)) == 1

    @pytest.mark.parametrize("headers", [CLERK, AUDITOR, PARTNER])
    async def test_only_admins_reevaluate(self, subsidies, headers):
        fund = await create_fund(subsidies)
        await create_program(subsidies, DEDICATED, fund["id"])
        r = await _reevaluate(subsidies, "dedicated-post", {"dry_run": True}, who=headers)
        assert r.status_code == 403

    async def test_unknown_program_is_404_and_dry_run_must_be_a_flag(self, subsidies):
        r = await _reevaluate(subsidies, "nothing", {"dry_run": True})
        assert r.status_code == 404
        fund = await create_fund(subsidies)
        await create_program(subsidies, DEDICATED, fund["id"])
        r = await _reevaluate(subsidies, "dedicated-post", {"dry_run": "no"})
        assert r.status_code == 422
        assert r.headers["content-type"] == "application/problem+json"

    async def test_documented_in_openapi(self, subsidies):
        spec = (await subsidies.client.get("/openapi.json")).json()
        op = spec["paths"]["/v1/subsidies/programs/{code}/reevaluate"]["post"]
        assert op["operationId"] == "reevaluateProgram" and op["summary"]
        assert {"200", "403", "404", "422"} <= set(op["responses"])
