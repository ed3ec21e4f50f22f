"""RELIABILITY #20, #21, #23: every operation answers hostile input with a 4xx problem, never a
500, and refuses roles that have no business here."""

import re
import uuid
from typing import Any

import pytest

from tests.subsidies.factories import ADMIN, APPROVER, CLERK, PARTNER, STORE

GARBAGE_BODIES: list[Any] = [
    {"unexpected": True},
    {"reason": "x" * 5000, "text": "\x00", "note": 12},
    {"application_ids": ["not-a-uuid"], "budget_fen": 10**40},
    {"code": "' OR 1=1 --", "name": "\x00", "budget_fen": -1},
    [1, 2, 3],
    "plain string",
]


# The public notice (公示) and objections to it: open to anyone (the gateway lists them too).
PUBLIC = {
    ("GET", "/v1/subsidies/notices"),
    ("POST", "/v1/subsidies/notices/{application_id}/objections"),
}


async def operations(subsidies) -> list[tuple[str, str]]:  # type: ignore[no-untyped-def]
    spec = (await subsidies.client.get("/openapi.json")).json()
    ops = []
    for path, item in spec["paths"].items():
        if path.startswith("/v1/subsidies"):
            ops += [(method.upper(), path) for method in item]
    return ops


def concrete(path: str) -> str:
    return re.sub(r"\{code\}", "nothing-here", re.sub(r"\{[a-z_]+\}", str(uuid.uuid4()), path))


class TestHostileInput:
    async def test_no_operation_answers_garbage_with_a_server_error(self, subsidies):
        for method, path in await operations(subsidies):
            for who in (ADMIN, CLERK, APPROVER):
                for body in GARBAGE_BODIES:
                    r = await subsidies.client.request(
                        method,
                        concrete(path),
                        headers=who,
                        json=body,
                        params={"limit": "100000", "cursor": "%%%", "month": "2020-99"},
                    )
                    assert 400 <= r.status_code < 500 or r.status_code in (200, 201), (
                        method,
                        path,
                        r.status_code,
                        r.text,
                    )
                    if r.status_code >= 400:
                        assert r.headers["content-type"] == "application/problem+json"

    @pytest.mark.parametrize("who", [PARTNER, STORE])
    async def test_partner_and_store_keys_are_refused_everywhere(self, subsidies, who):
        for method, path in await operations(subsidies):
            r = await subsidies.client.request(method, concrete(path), headers=who, json={})
            assert r.status_code in (403, 422), (method, path, r.status_code)
            if r.status_code == 422:  # path or body validation ran first; never a success
                assert r.json()["type"].endswith("validation")

    async def test_without_identity_everything_is_401(self, subsidies):
        for method, path in await operations(subsidies):
            if (method, path) in PUBLIC:
                continue
            r = await subsidies.client.request(method, concrete(path), json={})
            assert r.status_code in (401, 422), (method, path, r.status_code)

    async def test_only_the_public_notice_is_open_without_identity(self, subsidies):
        r = await subsidies.client.get("/v1/subsidies/notices")
        assert r.status_code == 200
        r = await subsidies.client.post(
            f"/v1/subsidies/notices/{uuid.uuid4()}/objections", json={"text": "x"}
        )
        assert r.status_code == 404  # public, and no such application in notice
        assert set(await operations(subsidies)) >= PUBLIC
