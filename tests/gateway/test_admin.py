"""Admin endpoints: staff users and API keys, admin only."""

import asyncio
import os
import sys
import uuid

import pytest
from sqlalchemy import text

from shared.identity import verify_identity
from tests.gateway.conftest import DEAD_URL, bearer, create_api_key, create_user
from tests.support.apps import TEST_IDENTITY_SECRET


class TestCreateApiKey:
    async def test_store_key(self, gateway):
        store_id = str(uuid.uuid4())
        key = await create_api_key(gateway, "store", store_id, name="till")
        assert key["role"] == "store"
        assert key["subject_id"] == store_id
        assert key["revoked_at"] is None
        assert key["created_by"].startswith("user:")

    async def test_store_key_needs_subject(self, gateway):
        r = await gateway.client.post(
            "/v1/admin/api-keys",
            headers=bearer(await gateway.admin_token()),
            json={"name": "till", "role": "store"},
        )
        assert r.status_code == 422
        assert "subject_id" in r.json()["detail"]

    async def test_bureau_key_takes_no_subject(self, gateway):
        r = await gateway.client.post(
            "/v1/admin/api-keys",
            headers=bearer(await gateway.admin_token()),
            json={"name": "x", "role": "bureau_clerk", "subject_id": str(uuid.uuid4())},
        )
        assert r.status_code == 422

    async def test_unknown_field_is_422(self, gateway):
        r = await gateway.client.post(
            "/v1/admin/api-keys",
            headers=bearer(await gateway.admin_token()),
            json={"name": "x", "role": "auditor", "key_hash": "0" * 64},
        )
        assert r.status_code == 422
        assert r.headers["content-type"] == "application/problem+json"
        assert r.json()["errors"][0]["field"] == "body.key_hash"

    async def test_unknown_role_is_422(self, gateway):
        r = await gateway.client.post(
            "/v1/admin/api-keys",
            headers=bearer(await gateway.admin_token()),
            json={"name": "x", "role": "superuser"},
        )
        assert r.status_code == 422

    async def test_non_admin_is_403(self, gateway):
        key = await create_api_key(gateway, "bureau_approver")
        r = await gateway.client.post(
            "/v1/admin/api-keys", headers=bearer(key["key"]), json={"name": "x", "role": "admin"}
        )
        assert r.status_code == 403

    async def test_store_key_cannot_list_keys(self, gateway):
        key = await create_api_key(gateway, "store", str(uuid.uuid4()))
        r = await gateway.client.get("/v1/admin/api-keys", headers=bearer(key["key"]))
        assert r.status_code == 403


class TestApiKeySubject:
    """A store or partner key's subject must exist in its service (asked by the gateway)."""

    async def test_the_owning_service_is_asked_as_the_admin(self, gateway, upstream):
        store_id, partner_id = str(uuid.uuid4()), str(uuid.uuid4())
        await create_api_key(gateway, "store", store_id)
        await create_api_key(gateway, "partner", partner_id)
        await create_api_key(gateway, "auditor")
        paths = [lookup["path"] for lookup in upstream.subject_lookups]
        assert paths == [f"/v1/products/stores/{store_id}", f"/v1/jobs/employers/{partner_id}"]
        for lookup in upstream.subject_lookups:
            identity = verify_identity(lookup["headers"]["x-ew-identity"], TEST_IDENTITY_SECRET)
            assert (identity.kind, identity.role) == ("user", "admin")

    @pytest.mark.parametrize("role", ["store", "partner"])
    async def test_unknown_subject_is_422_and_no_key_is_made(self, gateway, upstream, role):
        subject_id = str(uuid.uuid4())
        upstream.missing_subjects.add(subject_id)
        r = await gateway.client.post(
            "/v1/admin/api-keys",
            headers=bearer(await gateway.admin_token()),
            json={"name": "till", "role": role, "subject_id": subject_id},
        )
        assert r.status_code == 422, r.text
        assert r.headers["content-type"] == "application/problem+json"
        assert r.json()["errors"][0]["field"] == "subject_id"
        assert subject_id in r.json()["detail"]
        assert await _key_count(gateway) == 0

    async def test_partner_key_for_an_employer_that_is_not_a_partner_is_422(
        self, gateway, upstream
    ):
        upstream.employer_kind = "workshop"
        r = await gateway.client.post(
            "/v1/admin/api-keys",
            headers=bearer(await gateway.admin_token()),
            json={"name": "x", "role": "partner", "subject_id": str(uuid.uuid4())},
        )
        assert r.status_code == 422, r.text
        assert "not a Haizhu partner" in r.json()["detail"]
        assert await _key_count(gateway) == 0

    @pytest.mark.parametrize(("role", "service"), [("store", "products"), ("partner", "jobs")])
    async def test_owning_service_down_is_503_and_no_key_is_made(
        self, start_gateway, role, service
    ):
        async with start_gateway() as gw:  # every upstream is a dead address
            r = await gw.client.post(
                "/v1/admin/api-keys",
                headers=bearer(await gw.admin_token()),
                json={"name": "x", "role": role, "subject_id": str(uuid.uuid4())},
            )
            assert r.status_code == 503, r.text
            assert r.headers["content-type"] == "application/problem+json"
            assert r.headers["retry-after"]
            assert r.json()["service"] == service
            assert await _key_count(gw) == 0


async def _key_count(gw) -> int:
    async with gw.sessionmaker() as session:
        return int((await session.execute(text("SELECT count(*) FROM api_keys"))).scalar_one())


class TestListApiKeys:
    async def test_pages_and_filters(self, gateway):
        token = await gateway.admin_token()
        store_id = str(uuid.uuid4())
        for i in range(3):
            await create_api_key(gateway, "store", store_id, name=f"till {i}", token=token)
        await create_api_key(gateway, "auditor", token=token)
        first = await gateway.client.get(
            "/v1/admin/api-keys", params={"limit": 2}, headers=bearer(token)
        )
        assert first.status_code == 200
        page = first.json()
        assert len(page["items"]) == 2
        second = await gateway.client.get(
            "/v1/admin/api-keys",
            headers=bearer(token),
            params={"limit": 2, "cursor": page["next_cursor"]},
        )
        names = [k["name"] for k in page["items"] + second.json()["items"]]
        assert names == ["till 0", "till 1", "till 2", "test key"]
        assert second.json()["next_cursor"] is None  # a full last page is the last one
        mine = await gateway.client.get(
            "/v1/admin/api-keys", headers=bearer(token), params={"subject_id": store_id}
        )
        assert len(mine.json()["items"]) == 3

    async def test_bad_cursor_is_422(self, gateway):
        r = await gateway.client.get(
            "/v1/admin/api-keys",
            params={"cursor": "garbage"},
            headers=bearer(await gateway.admin_token()),
        )
        assert r.status_code == 422

    async def test_huge_page_is_422(self, gateway):
        r = await gateway.client.get(
            "/v1/admin/api-keys",
            params={"limit": 100000},
            headers=bearer(await gateway.admin_token()),
        )
        assert r.status_code == 422


class TestRevokeApiKey:
    async def test_twice_keeps_the_first(self, gateway):
        token = await gateway.admin_token()
        key = await create_api_key(gateway, "auditor", token=token)
        for _ in range(2):
            r = await gateway.client.delete(
                f"/v1/admin/api-keys/{key['id']}", headers=bearer(token)
            )
            assert r.status_code == 204
        one = await gateway.client.get(f"/v1/admin/api-keys/{key['id']}", headers=bearer(token))
        assert one.json()["revoked_at"] is not None

    async def test_unknown_is_404(self, gateway):
        r = await gateway.client.delete(
            f"/v1/admin/api-keys/{uuid.uuid4()}", headers=bearer(await gateway.admin_token())
        )
        assert r.status_code == 404


class TestCreateUser:
    async def test_valid(self, gateway):
        user = await create_user(gateway, "li.clerk", "bureau_clerk")
        assert user["username"] == "li.clerk"
        assert user["disabled"] is False
        assert "password" not in user and "password_hash" not in user
        async with gateway.sessionmaker() as session:
            stored = (
                await session.execute(
                    text("SELECT password_hash FROM users WHERE username = 'li.clerk'")
                )
            ).scalar_one()
        assert stored.startswith("$argon2id$")
        assert "a-long-enough-password" not in stored

    async def test_short_password_is_422(self, gateway):
        r = await gateway.client.post(
            "/v1/admin/users",
            headers=bearer(await gateway.admin_token()),
            json={"username": "li.clerk", "role": "bureau_clerk", "password": "short"},
        )
        assert r.status_code == 422

    async def test_malformed_username_is_422(self, gateway):
        r = await gateway.client.post(
            "/v1/admin/users",
            headers=bearer(await gateway.admin_token()),
            json={
                "username": "BAD NAME!!",
                "role": "bureau_clerk",
                "password": "a-long-enough-password",
            },
        )
        assert r.status_code == 422
        assert r.json()["errors"][0]["field"].endswith("username")

    async def test_store_user_needs_its_store(self, gateway):
        r = await gateway.client.post(
            "/v1/admin/users",
            headers=bearer(await gateway.admin_token()),
            json={"username": "shop", "role": "store", "password": "a-long-enough-password"},
        )
        assert r.status_code == 422
        assert "must name its subject_id" in r.text

    async def test_staff_user_takes_no_organisation(self, gateway):
        r = await gateway.client.post(
            "/v1/admin/users",
            headers=bearer(await gateway.admin_token()),
            json={
                "username": "li.clerk",
                "role": "bureau_clerk",
                "subject_id": str(uuid.uuid4()),
                "password": "a-long-enough-password",
            },
        )
        assert r.status_code == 422

    @pytest.mark.parametrize("role", ["partner", "store"])
    async def test_partner_or_store_user_acts_for_its_organisation(self, gateway, upstream, role):
        subject_id = str(uuid.uuid4())
        r = await gateway.client.post(
            "/v1/admin/users",
            headers=bearer(await gateway.admin_token()),
            json={
                "username": "hr.zhujiang",
                "role": role,
                "subject_id": subject_id,
                "password": "a-long-enough-password",
            },
        )
        assert r.status_code == 201, r.text
        assert r.json()["subject_id"] == subject_id
        assert upstream.subject_lookups[-1]["path"].endswith(subject_id)
        token = await gateway.login("hr.zhujiang", "a-long-enough-password")
        me = (await gateway.client.get("/v1/auth/me", headers=bearer(token))).json()
        assert (me["kind"], me["role"], me["subject_id"]) == ("user", role, subject_id)
        # The services see the organisation as they would from its API key.
        service = "jobs" if role == "partner" else "products"
        await gateway.client.get(f"/v1/{service}/anything", headers=bearer(token))
        sent = upstream.last()["headers"]["x-ew-identity"][0]
        identity = verify_identity(sent, TEST_IDENTITY_SECRET)
        assert (identity.role, identity.subject_id) == (role, subject_id)

    async def test_unknown_organisation_is_422_and_no_user_is_made(self, gateway, upstream):
        subject_id = str(uuid.uuid4())
        upstream.missing_subjects.add(subject_id)
        r = await gateway.client.post(
            "/v1/admin/users",
            headers=bearer(await gateway.admin_token()),
            json={
                "username": "hr.nobody",
                "role": "partner",
                "subject_id": subject_id,
                "password": "a-long-enough-password",
            },
        )
        assert r.status_code == 422, r.text
        assert r.json()["errors"][0]["field"] == "subject_id"
        async with gateway.sessionmaker() as session:
            count = await session.scalar(text("SELECT count(*) FROM users WHERE role='partner'"))
        assert count == 0

    async def test_unknown_field_is_422(self, gateway):
        r = await gateway.client.post(
            "/v1/admin/users",
            headers=bearer(await gateway.admin_token()),
            json={
                "username": "li.clerk",
                "role": "bureau_clerk",
                "password": "a-long-enough-password",
                "disabled": False,
            },
        )
        assert r.status_code == 422

    async def test_taken_username_is_409(self, gateway):
        token = await gateway.admin_token()
        await create_user(gateway, "li.clerk", "bureau_clerk", token=token)
        r = await gateway.client.post(
            "/v1/admin/users",
            headers=bearer(token),
            json={"username": "li.clerk", "role": "auditor", "password": "a-long-enough-password"},
        )
        assert r.status_code == 409

    async def test_clerk_is_403(self, gateway):
        await create_user(gateway, "li.clerk", "bureau_clerk")
        clerk = await gateway.login("li.clerk", "a-long-enough-password")
        r = await gateway.client.post(
            "/v1/admin/users",
            headers=bearer(clerk),
            json={"username": "mallory", "role": "admin", "password": "a-long-enough-password"},
        )
        assert r.status_code == 403


class TestUpdateUser:
    async def test_admin_cannot_disable_themself(self, gateway):
        token = await gateway.admin_token()
        me = (await gateway.client.get("/v1/auth/me", headers=bearer(token))).json()
        r = await gateway.client.patch(
            f"/v1/admin/users/{me['principal_id']}", json={"disabled": True}, headers=bearer(token)
        )
        assert r.status_code == 409

    async def test_flags_only_as_true_or_false(self, gateway):
        # Pydantic read 1 and "true" as true: the gateway's bodies now go through the same
        # shared check as the services' (numbers only as JSON integers, flags only as booleans).
        token = await gateway.admin_token()
        user = await create_user(gateway, "li.clerk", "bureau_clerk", token=token)
        for flag in (1, "true", "yes"):
            r = await gateway.client.patch(
                f"/v1/admin/users/{user['id']}", json={"disabled": flag}, headers=bearer(token)
            )
            assert r.status_code == 422
            assert r.headers["content-type"] == "application/problem+json"
            assert "disabled: must be true or false" in r.json()["detail"]
        await gateway.login("li.clerk", "a-long-enough-password")  # still enabled

    async def test_role_change_takes_effect(self, gateway):
        token = await gateway.admin_token()
        user = await create_user(gateway, "li.clerk", "bureau_clerk", token=token)
        clerk = await gateway.login("li.clerk", "a-long-enough-password")
        r = await gateway.client.patch(
            f"/v1/admin/users/{user['id']}", json={"role": "bureau_approver"}, headers=bearer(token)
        )
        assert r.status_code == 200
        me = await gateway.client.get("/v1/auth/me", headers=bearer(clerk))
        assert me.json()["role"] == "bureau_approver"

    async def test_role_change_to_and_from_an_organisation(self, gateway, upstream):
        token = await gateway.admin_token()
        user = await create_user(gateway, "li.clerk", "bureau_clerk", token=token)
        url = f"/v1/admin/users/{user['id']}"
        r = await gateway.client.patch(url, json={"role": "store"}, headers=bearer(token))
        assert r.status_code == 422, r.text  # a store user needs its store
        store_id = str(uuid.uuid4())
        r = await gateway.client.patch(
            url, json={"role": "store", "subject_id": store_id}, headers=bearer(token)
        )
        assert r.status_code == 200, r.text
        assert (r.json()["role"], r.json()["subject_id"]) == ("store", store_id)
        assert upstream.subject_lookups[-1]["path"] == f"/v1/products/stores/{store_id}"
        login = await gateway.login("li.clerk", "a-long-enough-password")
        me = (await gateway.client.get("/v1/auth/me", headers=bearer(login))).json()
        assert me["subject_id"] == store_id
        # Back to staff: the store is dropped.
        r = await gateway.client.patch(url, json={"role": "auditor"}, headers=bearer(token))
        assert (r.json()["role"], r.json()["subject_id"]) == ("auditor", None)
        r = await gateway.client.patch(
            url, json={"subject_id": str(uuid.uuid4())}, headers=bearer(token)
        )
        assert r.status_code == 422  # staff have no organisation

    async def test_list(self, gateway):
        token = await gateway.admin_token()
        await create_user(gateway, "li.clerk", "bureau_clerk", token=token)
        r = await gateway.client.get("/v1/admin/users", headers=bearer(token))
        assert [u["username"] for u in r.json()["items"]] == ["admin", "li.clerk"]

    async def test_list_in_pages(self, gateway):
        token = await gateway.admin_token()
        for name in ("li.clerk", "wang.approver", "zhao.auditor"):
            await create_user(gateway, name, "auditor", token=token)
        seen, cursor, pages = [], None, 0
        while True:
            params = {"limit": 2} | ({"cursor": cursor} if cursor else {})
            r = await gateway.client.get("/v1/admin/users", params=params, headers=bearer(token))
            assert r.status_code == 200, r.text
            pages += 1
            seen += [u["username"] for u in r.json()["items"]]
            cursor = r.json()["next_cursor"]
            if cursor is None:
                break
        assert seen == ["admin", "li.clerk", "wang.approver", "zhao.auditor"]
        assert pages == 2  # the second page is full and the last: no empty third page


class TestBootstrapAdmin:
    async def test_generated_password_is_printed_once(self, start_gateway, capsys):
        async with start_gateway(bootstrap_admin_password=None) as gw:
            printed = [
                line
                for line in capsys.readouterr().out.splitlines()
                if "bootstrap_admin_created" in line
            ]
            assert len(printed) == 1
            import json

            password = json.loads(printed[0])["password"]
            assert await gw.login("admin", password)
        async with start_gateway(bootstrap_admin_password=None):
            again = capsys.readouterr().out
        assert password not in again

    async def test_given_password_is_not_printed(self, start_gateway, capsys):
        async with start_gateway() as gw:
            assert await gw.admin_token()
        assert "bootstrap_admin_created" not in capsys.readouterr().out


class TestCli:
    async def test_create_api_key_works_at_the_gateway(self, gateway, databases, echo):
        store_id = str(uuid.uuid4())
        env = os.environ | {
            "GATEWAY_DATABASE_URL": databases.url("gateway"),
            "GATEWAY_PRODUCTS_URL": echo[1],
        }
        proc = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "gateway.cli",
            "create-api-key",
            "--role",
            "store",
            "--subject",
            store_id,
            "--name",
            "till from cli",
            env=env,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE,
        )
        out, err = await proc.communicate()
        assert proc.returncode == 0, err.decode()
        key = next(line for line in out.decode().splitlines() if line.startswith("ew_"))
        me = await gateway.client.get("/v1/auth/me", headers=bearer(key))
        assert me.status_code == 200
        assert (me.json()["role"], me.json()["subject_id"]) == ("store", store_id)

    async def test_store_key_without_subject_is_refused(self, databases):
        env = os.environ | {"GATEWAY_DATABASE_URL": databases.url("gateway")}
        proc = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "gateway.cli",
            "create-api-key",
            "--role",
            "store",
            "--name",
            "x",
            env=env,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE,
        )
        out, err = await proc.communicate()
        assert proc.returncode == 2
        assert "subject_id" in err.decode()
        assert "ew_" not in out.decode()

    @pytest.mark.parametrize(
        ("missing", "products_up", "message"),
        [(True, True, "There is no store with id"), (False, False, "cannot be reached")],
        ids=["unknown-store", "products-down"],
    )
    async def test_store_key_for_an_unknown_store_or_with_products_down_is_refused(
        self, gateway, databases, echo, missing, products_up, message
    ):
        upstream, url = echo
        store_id = str(uuid.uuid4())
        if missing:
            upstream.missing_subjects.add(store_id)
        env = os.environ | {
            "GATEWAY_DATABASE_URL": databases.url("gateway"),
            "GATEWAY_PRODUCTS_URL": url if products_up else DEAD_URL,
        }
        proc = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "gateway.cli",
            "create-api-key",
            "--role",
            "store",
            "--subject",
            store_id,
            "--name",
            "x",
            env=env,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE,
        )
        out, err = await proc.communicate()
        assert proc.returncode == 1, err.decode()
        assert message in err.decode()
        assert "ew_" not in out.decode()
        assert await _key_count(gateway) == 0
