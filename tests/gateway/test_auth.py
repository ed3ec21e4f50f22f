"""Staff login, login tokens and API keys as credentials."""

import uuid

import httpx
from sqlalchemy import text

from gateway import repository, service
from gateway.models import ApiKey
from gateway.security import generate_api_key, hash_api_key, issue_staff_token
from tests.gateway.conftest import (
    ADMIN_PASSWORD,
    bearer,
    create_api_key,
    create_user,
)
from tests.support.infra import wait_until

TOKEN_SECRET = "test-gateway-token-secret-0123456789abcdef"


class TestLogin:
    async def test_valid(self, gateway):
        r = await gateway.client.post(
            "/v1/auth/login", json={"username": "admin", "password": ADMIN_PASSWORD}
        )
        assert r.status_code == 200, r.text
        body = r.json()
        assert body["token_type"] == "bearer"
        assert body["expires_in"] == 900
        me = await gateway.client.get("/v1/auth/me", headers=bearer(body["access_token"]))
        assert me.status_code == 200
        assert me.json() | {"principal_id": "-"} == {
            "principal_id": "-",
            "kind": "user",
            "role": "admin",
            "subject_id": None,
            "name": "admin",
        }

    async def test_wrong_password(self, gateway):
        r = await gateway.client.post(
            "/v1/auth/login", json={"username": "admin", "password": "not-the-password"}
        )
        assert r.status_code == 401
        assert r.headers["content-type"] == "application/problem+json"

    async def test_unknown_user_reads_the_same(self, gateway):
        wrong = await gateway.client.post(
            "/v1/auth/login", json={"username": "admin", "password": "nope-nope"}
        )
        unknown = await gateway.client.post(
            "/v1/auth/login", json={"username": "nobody", "password": "nope-nope"}
        )
        assert unknown.status_code == 401
        assert unknown.json()["detail"] == wrong.json()["detail"]

    async def test_unknown_field_is_422(self, gateway):
        r = await gateway.client.post(
            "/v1/auth/login",
            json={"username": "admin", "password": ADMIN_PASSWORD, "role": "admin"},
        )
        assert r.status_code == 422
        assert r.json()["errors"][0]["field"] == "body.role"

    async def test_disabled_user_cannot_log_in(self, gateway):
        admin = await gateway.admin_token()
        user = await create_user(gateway, "li.clerk", "bureau_clerk", token=admin)
        r = await gateway.client.patch(
            f"/v1/admin/users/{user['id']}", json={"disabled": True}, headers=bearer(admin)
        )
        assert r.status_code == 200
        r = await gateway.client.post(
            "/v1/auth/login", json={"username": "li.clerk", "password": "a-long-enough-password"}
        )
        assert r.status_code == 401

    async def test_guessing_is_rate_limited(self, start_gateway):
        async with start_gateway(login_burst=3, login_rate_per_second=0.01) as gw:
            statuses = []
            for _ in range(4):
                r = await gw.client.post(
                    "/v1/auth/login", json={"username": "admin", "password": "guess-guess"}
                )
                statuses.append(r.status_code)
        assert statuses == [401, 401, 401, 429]
        assert int(r.headers["retry-after"]) >= 1


class TestLoginToken:
    async def test_expired_token_is_refused(self, gateway):
        token = await gateway.admin_token()
        me = await gateway.client.get("/v1/auth/me", headers=bearer(token))
        user_id = me.json()["principal_id"]
        expired = issue_staff_token(user_id, TOKEN_SECRET, ttl_seconds=-1)
        r = await gateway.client.get("/v1/auth/me", headers=bearer(expired))
        assert r.status_code == 401
        r = await gateway.client.get("/v1/jobs/anything", headers=bearer(expired))
        assert r.status_code == 401

    async def test_token_signed_with_another_secret_is_refused(self, gateway):
        me = await gateway.client.get("/v1/auth/me", headers=bearer(await gateway.admin_token()))
        forged = issue_staff_token(me.json()["principal_id"], "x" * 40, ttl_seconds=600)
        r = await gateway.client.get("/v1/auth/me", headers=bearer(forged))
        assert r.status_code == 401

    async def test_token_of_disabled_user_stops_working(self, gateway):
        admin = await gateway.admin_token()
        user = await create_user(gateway, "wang.approver", "bureau_approver", token=admin)
        token = await gateway.login("wang.approver", "a-long-enough-password")
        assert (await gateway.client.get("/v1/auth/me", headers=bearer(token))).status_code == 200
        await gateway.client.patch(
            f"/v1/admin/users/{user['id']}", json={"disabled": True}, headers=bearer(admin)
        )
        r = await gateway.client.get("/v1/auth/me", headers=bearer(token))
        assert r.status_code == 401

    async def test_no_credential_is_401(self, gateway):
        r = await gateway.client.get("/v1/auth/me")
        assert r.status_code == 401
        assert r.headers["www-authenticate"] == "Bearer"

    async def test_other_scheme_is_401(self, gateway):
        r = await gateway.client.get("/v1/auth/me", headers={"Authorization": "Basic YTpi"})
        assert r.status_code == 401


class TestChangePassword:
    async def test_valid(self, gateway):
        await create_user(gateway, "zhao.auditor", "auditor")
        token = await gateway.login("zhao.auditor", "a-long-enough-password")
        r = await gateway.client.post(
            "/v1/auth/password",
            headers=bearer(token),
            json={
                "current_password": "a-long-enough-password",
                "new_password": "an-even-longer-password",
            },
        )
        assert r.status_code == 204
        assert (await gateway.client.get("/v1/auth/me", headers=bearer(token))).status_code == 401
        fresh = await gateway.login("zhao.auditor", "an-even-longer-password")
        assert (await gateway.client.get("/v1/auth/me", headers=bearer(fresh))).status_code == 200

    async def test_reset_by_admin_ends_sessions(self, gateway):
        admin = await gateway.admin_token()
        user = await create_user(gateway, "zhao.auditor", "auditor", token=admin)
        token = await gateway.login("zhao.auditor", "a-long-enough-password")
        r = await gateway.client.patch(
            f"/v1/admin/users/{user['id']}",
            headers=bearer(admin),
            json={"password": "a-brand-new-password"},
        )
        assert r.status_code == 200
        r = await gateway.client.get("/v1/jobs/anything", headers=bearer(token))
        assert r.status_code == 401
        assert (
            await gateway.client.post(
                "/v1/auth/login",
                json={"username": "zhao.auditor", "password": "a-long-enough-password"},
            )
        ).status_code == 401

    async def test_wrong_current_password(self, gateway):
        token = await gateway.admin_token()
        r = await gateway.client.post(
            "/v1/auth/password",
            headers=bearer(token),
            json={"current_password": "wrong-wrong", "new_password": "an-even-longer-password"},
        )
        assert r.status_code == 401

    async def test_api_key_has_no_password(self, gateway):
        key = await create_api_key(gateway, "auditor")
        r = await gateway.client.post(
            "/v1/auth/password",
            headers=bearer(key["key"]),
            json={"current_password": "x", "new_password": "an-even-longer-password"},
        )
        assert r.status_code == 403


class TestCredentialBeforeBody:
    """The gateway's own routes check the credential before they read the body (found by the
    API fuzzing: without a credential, a body that was not JSON got 400 or 422, not 401)."""

    BODIES = (b"\xc3\x28", b"{not json", b"[1, 2]")

    async def test_no_credential_is_401_whatever_the_body(self, gateway):
        for path in ("/v1/admin/api-keys", "/v1/admin/users", "/v1/auth/password"):
            for body in self.BODIES:
                r = await gateway.client.post(
                    path, content=body, headers={"content-type": "application/json"}
                )
                assert r.status_code == 401, (path, body, r.text)
                assert r.headers["www-authenticate"] == "Bearer"
        r = await gateway.client.patch(
            f"/v1/admin/users/{uuid.uuid4()}",
            content=b"\xc3\x28",
            headers={"content-type": "application/json"},
        )
        assert r.status_code == 401

    async def test_invalid_credential_is_401_whatever_the_body(self, gateway):
        r = await gateway.client.post(
            "/v1/admin/api-keys",
            content=b"{not json",
            headers={"content-type": "application/json", **bearer("ew_not_a_real_key_0000")},
        )
        assert r.status_code == 401

    async def test_with_a_credential_the_body_is_then_read(self, gateway):
        token = await gateway.admin_token()
        r = await gateway.client.post(
            "/v1/admin/api-keys",
            content=b"{not json",
            headers={"content-type": "application/json", **bearer(token)},
        )
        assert r.status_code == 422
        r = await gateway.client.post(
            "/v1/admin/api-keys",
            content=b"\xc3\x28",
            headers={"content-type": "application/json", **bearer(token)},
        )
        assert r.status_code == 400
        assert (await gateway.client.get("/v1/auth/me", headers=bearer(token))).status_code == 200

    async def test_login_needs_no_credential(self, gateway):
        r = await gateway.client.post(
            "/v1/auth/login", content=b"{not json", headers={"content-type": "application/json"}
        )
        assert r.status_code == 422


class TestApiKeyCredential:
    async def test_key_is_stored_only_as_hash_and_prefix(self, gateway):
        key = await create_api_key(gateway, "store", str(uuid.uuid4()))
        full = key["key"]
        prefix, secret = full.split("_")[1], full.split("_", 2)[2]
        assert full.startswith(f"ew_{key['prefix']}_")
        async with gateway.sessionmaker() as session:
            rows = (await session.execute(text("SELECT * FROM api_keys"))).mappings().all()
        assert len(rows) == 1
        stored = " ".join(str(v) for v in rows[0].values())
        assert secret not in stored
        assert full not in stored
        assert rows[0]["prefix"] == prefix
        assert len(rows[0]["key_hash"]) == 64

    async def test_key_is_not_shown_again(self, gateway):
        token = await gateway.admin_token()
        key = await create_api_key(gateway, "auditor", token=token)
        listed = await gateway.client.get("/v1/admin/api-keys", headers=bearer(token))
        one = await gateway.client.get(f"/v1/admin/api-keys/{key['id']}", headers=bearer(token))
        for text_ in (listed.text, one.text):
            assert key["key"] not in text_
            assert "key_hash" not in text_
        assert one.json()["prefix"] == key["prefix"]

    async def test_revoked_key_is_401(self, gateway, upstream):
        token = await gateway.admin_token()
        key = await create_api_key(gateway, "store", str(uuid.uuid4()), token=token)
        ok = await gateway.client.get("/v1/products/x", headers=bearer(key["key"]))
        assert ok.status_code == 200  # now remembered by the gateway
        r = await gateway.client.delete(f"/v1/admin/api-keys/{key['id']}", headers=bearer(token))
        assert r.status_code == 204
        r = await gateway.client.get("/v1/products/x", headers=bearer(key["key"]))
        assert r.status_code == 401
        assert r.headers["content-type"] == "application/problem+json"
        assert len(upstream.received) == 1

    async def test_wrong_secret_with_a_real_prefix_is_401(self, gateway):
        key = await create_api_key(gateway, "auditor")
        tampered = key["key"][:-4] + ("AAAA" if not key["key"].endswith("AAAA") else "BBBB")
        r = await gateway.client.get("/v1/auth/me", headers=bearer(tampered))
        assert r.status_code == 401

    async def test_garbage_key_is_401(self, gateway):
        for token in ("ew_", "ew_abc", "ew_abcdefgh_short", "not-a-jwt", "a.b.c"):
            r = await gateway.client.get("/v1/auth/me", headers=bearer(token))
            assert r.status_code == 401, token


class TestInvalidCredentialLimits:
    """Invalid credentials are counted per client address, and unknown API keys are remembered
    for a moment, so keys cannot be guessed at full speed nor the database flooded with them."""

    async def test_bad_keys_from_one_address_are_429_without_a_lookup(
        self, start_gateway, echo, monkeypatch
    ):
        _, url = echo
        async with start_gateway(
            jobs_url=url,
            products_url=url,
            subsidies_url=url,
            auth_failure_burst=3,
            auth_failure_rate_per_second=0.01,
        ) as gw:
            key = await create_api_key(gw, "auditor")
            statuses = []
            for _ in range(3):
                r = await gw.client.get("/v1/products/x", headers=bearer(generate_api_key()[1]))
                statuses.append(r.status_code)
            lookups = _count_key_lookups(monkeypatch)
            r = await gw.client.get("/v1/auth/me", headers=bearer(generate_api_key()[1]))
            assert statuses == [401, 401, 401]
            assert r.status_code == 429, r.text
            assert r.headers["content-type"] == "application/problem+json"
            assert int(r.headers["retry-after"]) >= 1
            assert "invalid credential" in r.json()["detail"]
            for _ in range(10):
                r = await gw.client.get("/v1/products/x", headers=bearer(generate_api_key()[1]))
                assert r.status_code == 429
            # Random keys from an address over its budget cost no lookup at all.
            assert lookups == []
            # A valid key from that same address is still served.
            r = await gw.client.get("/v1/products/x", headers=bearer(key["key"]))
            assert r.status_code == 200, r.text
            # Another address is not affected either.
            async with httpx.AsyncClient(
                base_url=gw.url, transport=httpx.AsyncHTTPTransport(local_address="127.0.0.2")
            ) as other:
                r = await other.get("/v1/auth/me", headers=bearer(key["key"]))
                assert r.status_code == 200, r.text
                assert r.json()["role"] == "auditor"

    async def test_valid_credentials_are_served_from_an_address_over_its_budget(
        self, start_gateway, echo, monkeypatch
    ):
        # One address shared by many clients (an office NAT, a load balancer): one client's
        # bad keys must not lock out the others' valid ones.
        _, url = echo
        async with start_gateway(
            jobs_url=url,
            products_url=url,
            subsidies_url=url,
            auth_failure_burst=20,
            auth_failure_rate_per_second=0.01,
        ) as gw:
            token = await gw.admin_token()
            store = await create_api_key(gw, "store", str(uuid.uuid4()), token=token)
            auditor = await create_api_key(gw, "auditor", token=token)
            statuses = []
            for _ in range(25):
                r = await gw.client.get("/v1/products/x", headers=bearer(generate_api_key()[1]))
                statuses.append(r.status_code)
            assert statuses == [401] * 20 + [429] * 5
            lookups = _count_key_lookups(monkeypatch)

            for key, role in ((store, "store"), (auditor, "auditor")):
                r = await gw.client.get("/v1/auth/me", headers=bearer(key["key"]))
                assert r.status_code == 200, r.text
                assert r.json()["role"] == role
                r = await gw.client.get("/v1/products/x", headers=bearer(key["key"]))
                assert r.status_code == 200, r.text
            r = await gw.client.get("/v1/auth/me", headers=bearer(token))
            assert r.status_code == 200, r.text
            for password in ("wrong-password-1", "wrong-password-2"):
                r = await gw.client.post(
                    "/v1/auth/login", json={"username": "admin", "password": password}
                )
                assert r.status_code == 401
            r = await gw.client.post(
                "/v1/auth/login", json={"username": "admin", "password": ADMIN_PASSWORD}
            )
            assert r.status_code == 200, r.text

            # Bad keys, including wrong secrets for a real key's prefix, are still refused.
            store_prefix = store["prefix"]
            wrong_secret = f"ew_{store_prefix}_" + generate_api_key()[1].rsplit("_", 1)[1]
            for bad in (generate_api_key()[1], wrong_secret, wrong_secret[:-1] + "x", "ew_x"):
                r = await gw.client.get("/v1/products/x", headers=bearer(bad))
                assert r.status_code == 429, bad
            # Each valid key's row was looked up once; no bad key reached the database.
            assert sorted(lookups) == sorted([store_prefix, auditor["prefix"]])

    async def test_malformed_keys_and_tokens_count_too(self, start_gateway):
        async with start_gateway(auth_failure_burst=4, auth_failure_rate_per_second=0.01) as gw:
            statuses = []
            for token in ("ew_abc", "not-a-jwt", "a.b.c", "ew_", "a.b.c"):
                r = await gw.client.get("/v1/auth/me", headers=bearer(token))
                statuses.append(r.status_code)
            r = await gw.client.get("/v1/auth/me", headers={"Authorization": "Basic eA=="})
        assert statuses == [401, 401, 401, 401, 429]
        assert r.status_code == 429

    async def test_successful_logins_do_not_spend_the_budget(self, start_gateway):
        async with start_gateway(login_burst=3, login_rate_per_second=0.01) as gw:
            statuses = []
            for password in ["wrong-password", "wrong-password"] + [ADMIN_PASSWORD] * 5:
                r = await gw.client.post(
                    "/v1/auth/login", json={"username": "admin", "password": password}
                )
                statuses.append(r.status_code)
            assert statuses == [401, 401, 200, 200, 200, 200, 200]
            # The third failure spends the budget: from then on no password is even checked.
            for password in ("wrong-password", ADMIN_PASSWORD):
                r = await gw.client.post(
                    "/v1/auth/login", json={"username": "admin", "password": password}
                )
                statuses.append(r.status_code)
            assert statuses[-2:] == [401, 429]

    async def test_good_credentials_are_not_counted(self, start_gateway):
        async with start_gateway(auth_failure_burst=2, auth_failure_rate_per_second=0.01) as gw:
            token = await gw.admin_token()
            for _ in range(5):
                r = await gw.client.get("/v1/auth/me", headers=bearer(token))
                assert r.status_code == 200, r.text

    async def test_an_unknown_key_is_looked_up_once(self, gateway, monkeypatch):
        lookups = _count_key_lookups(monkeypatch)
        unknown = generate_api_key()[1]
        for _ in range(3):
            r = await gateway.client.get("/v1/auth/me", headers=bearer(unknown))
            assert r.status_code == 401
        assert len(lookups) == 1

    async def test_a_key_created_after_a_miss_works_once_the_miss_is_forgotten(self, start_gateway):
        async with start_gateway(auth_negative_cache_seconds=0.5) as gw:
            prefix, key = generate_api_key()
            r = await gw.client.get("/v1/auth/me", headers=bearer(key))
            assert r.status_code == 401
            # Created elsewhere (another replica, the CLI): this gateway learns of it only
            # from the database, after its remembered miss has expired.
            async with gw.sessionmaker() as session, session.begin():
                session.add(
                    ApiKey(
                        prefix=prefix,
                        key_hash=hash_api_key(key),
                        name="made elsewhere",
                        role="auditor",
                        created_by="cli",
                    )
                )

            async def accepted() -> bool:
                r = await gw.client.get("/v1/auth/me", headers=bearer(key))
                return r.status_code == 200

            await wait_until(accepted, timeout=10, what="the new key to be accepted")

    async def test_a_key_created_here_is_accepted_at_once_after_a_miss(
        self, start_gateway, monkeypatch
    ):
        # Keys are random, so a miss on a new key is unlikely; here the new key is made to be
        # one this gateway has just refused, and the remembered miss must not refuse it.
        async with start_gateway(auth_negative_cache_seconds=60) as gw:
            prefix, key = generate_api_key()
            r = await gw.client.get("/v1/auth/me", headers=bearer(key))
            assert r.status_code == 401
            monkeypatch.setattr(service, "generate_api_key", lambda: (prefix, key))
            created = await create_api_key(gw, "auditor")
            assert created["key"] == key
            r = await gw.client.get("/v1/auth/me", headers=bearer(key))
            assert r.status_code == 200, r.text


def _count_key_lookups(monkeypatch) -> list[str]:
    """Record every API-key lookup the gateway makes in the database from now on."""
    calls: list[str] = []
    real = repository.get_api_key_by_prefix

    async def counting(session, prefix):
        calls.append(prefix)
        return await real(session, prefix)

    monkeypatch.setattr(repository, "get_api_key_by_prefix", counting)
    return calls


class TestClientAddress:
    """Budgets are kept by the real client address: X-Forwarded-For counts only when it comes
    from a proxy named in GATEWAY_TRUSTED_PROXIES (none by default)."""

    async def test_rotating_forwarded_for_does_not_escape_the_budget(self, start_gateway):
        async with start_gateway(
            auth_failure_burst=3,
            auth_failure_rate_per_second=0.01,
            login_burst=2,
            login_rate_per_second=0.01,
        ) as gw:
            statuses = []
            for i in range(6):
                r = await gw.client.get(
                    "/v1/auth/me",
                    headers={**bearer(generate_api_key()[1]), "X-Forwarded-For": f"6.6.6.{i}"},
                )
                statuses.append(r.status_code)
            assert statuses == [401, 401, 401, 429, 429, 429]
            statuses = []
            for i in range(4):
                r = await gw.client.post(
                    "/v1/auth/login",
                    json={"username": "admin", "password": "wrong-password"},
                    headers={"X-Forwarded-For": f"7.7.7.{i}", "X-Real-IP": f"7.7.7.{i}"},
                )
                statuses.append(r.status_code)
            assert statuses == [401, 401, 429, 429]

    async def test_a_trusted_proxy_gives_each_client_its_own_budget(self, start_gateway, echo):
        upstream, url = echo
        async with start_gateway(
            jobs_url=url,
            products_url=url,
            subsidies_url=url,
            trusted_proxies=["127.0.0.1"],
            auth_failure_burst=2,
            auth_failure_rate_per_second=0.01,
        ) as gw:

            async def attempt(forwarded_for: str, client: httpx.AsyncClient = gw.client) -> int:
                r = await client.get(
                    "/v1/jobs/x",
                    headers={**bearer(generate_api_key()[1]), "X-Forwarded-For": forwarded_for},
                )
                return r.status_code

            assert [await attempt("203.0.113.5") for _ in range(3)] == [401, 401, 429]
            # Another client behind the same proxy has its own budget...
            assert await attempt("203.0.113.6") == 401
            # ...but a client cannot pose as another by prepending addresses: the proxy
            # appended the address it saw, and that right-most one is the client.
            assert await attempt("203.0.113.77, 203.0.113.5") == 429
            # A peer that is not a trusted proxy is its own client, whatever it claims.
            async with httpx.AsyncClient(
                base_url=gw.url, transport=httpx.AsyncHTTPTransport(local_address="127.0.0.2")
            ) as direct:
                assert [await attempt("203.0.113.8", direct) for _ in range(3)] == [401, 401, 429]
                assert await attempt("203.0.113.9", direct) == 429
            # The service is told the client address the gateway went by.
            key = await create_api_key(gw, "auditor")
            r = await gw.client.get(
                "/v1/jobs/x",
                headers={**bearer(key["key"]), "X-Forwarded-For": "6.6.6.6, 203.0.113.10"},
            )
            assert r.status_code == 200, r.text
            assert upstream.last()["headers"]["x-forwarded-for"] == ["203.0.113.10"]
