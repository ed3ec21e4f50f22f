"""The matrix's edges, from the same table (matrix.yaml): methods a route does not have, fields a
caller may not set, roles that do not exist, and request targets meant to slip past the
gateway's routing — all through the one gateway of tests/authz/conftest.py."""

import asyncio
import re
import uuid
from typing import Any

import jwt
import pytest

from shared.identity import IDENTITY_HEADER, Identity, sign_identity
from tests.authz import matrix
from tests.authz.conftest import World
from tests.authz.test_matrix import _resolve
from tests.support.apps import TEST_IDENTITY_SECRET

METHODS = ("GET", "POST", "PUT", "PATCH", "DELETE")
PLACEHOLDER = str(uuid.uuid4())  # any path parameter: routing decides 405 before any lookup


def _matches(template: str, path: str) -> bool:
    pattern = matrix.PARAM.sub("[^/]+", re.escape(template).replace(r"\{", "{").replace(r"\}", "}"))
    return re.fullmatch(pattern, path) is not None


def _swaps() -> list[Any]:
    """(app, path template, the methods no route of the app answers on that path)."""
    out = []
    for app, ops in matrix.routes().items():
        for path in sorted({p for _, p in ops}):
            url = _concrete(path)
            # Another route may share this path's shape and have the method (``/stores/me``
            # beside ``/stores/{store_id}``): such a method is that route's, not a swap.
            absent = tuple(
                m for m in METHODS if not any(_matches(t, url) for mm, t in ops if mm == m)
            )
            if absent:
                out.append(pytest.param(app, path, absent, id=f"{app} {path}"))
    return out


def _concrete(template: str) -> str:
    return matrix.fill(template, {p: PLACEHOLDER for p in matrix.PARAM.findall(template)})


@pytest.mark.parametrize(("app", "template", "methods"), _swaps())
async def test_method_swap(world: World, app: str, template: str, methods: tuple[str, ...]) -> None:
    """Each method the path does not have, as every caller: deny by default, else 405."""
    table = matrix.load()
    section = "gateway" if app == "gateway" else "services"
    if template in table["public_paths"]:
        section = "public"
    expect = matrix.expand(table["method_swaps"][section])
    url = _concrete(template)
    calls = [(m, c) for m in methods for c in matrix.callers()]
    answers = await asyncio.gather(
        *(
            world.client.request(m, url, headers=world.headers(c) | {"Idempotency-Key": "k"})
            for m, c in calls
        )
    )
    wrong = [
        f"  {m} as {c}: expected {expect[c]}, got {r.status_code}: {r.text[:150]}"
        for (m, c), r in zip(calls, answers, strict=True)
        if r.status_code != expect[c]
    ]
    assert not wrong, f"{url}:\n" + "\n".join(wrong)


def _rows(section: str) -> list[Any]:
    return [
        pytest.param(
            row, id=row.get("case") or f"{row.get('op') or row['raw']} {row.get('field', '')}"
        )
        for row in matrix.load()[section]
    ]


async def _send(world: World, row: dict[str, Any], headers: dict[str, str]) -> Any:
    method, template = row["op"].split(" ", 1)
    url = matrix.fill(template, {k: world.objects[v] for k, v in (row.get("path") or {}).items()})
    body = _resolve(row["body"], world.objects) if "body" in row else None
    return await world.client.request(
        method, url, json=body, headers=headers | {"Idempotency-Key": uuid.uuid4().hex}
    )


@pytest.mark.parametrize("row", _rows("mass_assignment"))
async def test_mass_assignment(world: World, row: dict[str, Any]) -> None:
    r = await _send(world, row, world.headers(row["caller"]))
    assert r.status_code == row["expect"], r.text
    if r.status_code == 422:
        field = row["field"].split(".")[-1]
        assert field in r.text, f"the 422 does not name the refused field {field!r}: {r.text}"


@pytest.mark.parametrize("row", _rows("unknown_roles"))
async def test_unknown_role(world: World, row: dict[str, Any]) -> None:
    headers = world.headers(row["caller"])
    if "forged_identity" in row:
        # Signed with the very secret the services trust: the gateway must drop it anyway.
        identity = Identity(
            principal_id="forged", kind="user", role=row["forged_identity"], name="forged"
        )
        headers[IDENTITY_HEADER] = sign_identity(identity, TEST_IDENTITY_SECRET)
    if "forged_bearer" in row:
        claims = {"sub": str(uuid.uuid4()), "role": row["forged_bearer"], "typ": "staff"}
        token = jwt.encode(claims, "not-the-gateway-key-0123456789abcdef", algorithm="HS256")
        headers["Authorization"] = f"Bearer {token}"
    r = await _send(world, row, headers)
    assert r.status_code == row["expect"], r.text


async def raw_get(world: World, target: str, headers: dict[str, str]) -> int:
    """GET ``target`` exactly as written (HTTP clients would resolve dots or re-encode)."""
    host, port = world.gateway_url.removeprefix("http://").split(":")
    reader, writer = await asyncio.open_connection(host, int(port))
    try:
        lines = [f"GET {target} HTTP/1.1", f"Host: {host}", "Connection: close"]
        lines += [f"{k}: {v}" for k, v in headers.items()]
        writer.write(("\r\n".join(lines) + "\r\n\r\n").encode("latin-1"))
        status_line = await reader.readline()
        await reader.read()
    finally:
        writer.close()
    return int(status_line.split()[1])


@pytest.mark.parametrize("row", _rows("path_tricks"))
async def test_path_trick(world: World, row: dict[str, Any]) -> None:
    target = row["raw"].format(**world.objects)
    status = await raw_get(world, target, world.headers(row["caller"]))
    assert status == row["expect"], f"GET {target} as {row['caller']}: {status}"
