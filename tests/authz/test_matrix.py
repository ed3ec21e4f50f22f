"""The authorisation matrix (matrix.yaml) as tests: every row × caller through the gateway with
real credentials, and the check that every route of every app has a row."""

import asyncio
import uuid
from typing import Any

import pytest

from tests.authz import matrix
from tests.authz.conftest import World

ROWS = [pytest.param(row, id=row.id) for row in matrix.rows()]


def _resolve(value: Any, objects: dict[str, str]) -> Any:
    if isinstance(value, str) and value.startswith("$"):
        return objects[value[1:]]
    if isinstance(value, dict):
        return {k: _resolve(v, objects) for k, v in value.items()}
    if isinstance(value, list):
        return [_resolve(v, objects) for v in value]
    return value


async def call(world: World, row: matrix.Row, caller: str) -> Any:
    url = matrix.fill(row.template, {k: world.objects[v] for k, v in row.path.items()})
    headers = world.headers(caller)
    if row.method != "GET":
        headers["Idempotency-Key"] = uuid.uuid4().hex
    kwargs: dict[str, Any] = {"params": _resolve(row.query, world.objects), "headers": headers}
    if row.content is not None:
        kwargs["content"] = row.content.encode()
        headers["Content-Type"] = row.content_type or "application/octet-stream"
    elif row.body is not None:
        kwargs["json"] = _resolve(row.body, world.objects)
    return await world.client.request(row.method, url, **kwargs)


@pytest.mark.parametrize("row", ROWS)
async def test_row(world: World, row: matrix.Row) -> None:
    """Every caller of the row at once (a row changes at most its own object, and only for the
    one caller allowed to), each answer compared with the table."""
    answers = await asyncio.gather(*(call(world, row, caller) for caller in row.callers))
    wrong = [
        f"  {caller}: expected {row.expect[caller]}, got {r.status_code}: {r.text[:200]}"
        for caller, r in zip(row.callers, answers, strict=True)
        if r.status_code != row.expect[caller]
    ]
    defect = f"\nKNOWN DEFECT (fails until fixed): {row.defect}" if row.defect else ""
    assert not wrong, f"{row.id}:\n" + "\n".join(wrong) + defect


class TestCoverage:
    def test_every_route_has_a_row(self) -> None:
        missing = matrix.uncovered(matrix.routes(), matrix.rows())
        assert not missing, "routes without a row in tests/authz/matrix.yaml:\n" + "\n".join(
            sorted(missing)
        )

    def test_a_new_route_without_a_row_is_caught(self) -> None:
        from fastapi import FastAPI

        app = matrix.service_apps()["products"]
        assert isinstance(app, FastAPI)

        @app.get("/v1/products/stores/me/secrets")
        async def secrets() -> dict[str, str]:  # a route someone adds and forgets to list
            return {}

        app.openapi_schema = None
        ops = frozenset(
            (method.upper(), path)
            for path, item in app.openapi()["paths"].items()
            for method in item
            if path.startswith("/v1/")
        )
        assert matrix.uncovered({"products": ops}, matrix.rows()) == {
            "products: GET /v1/products/stores/me/secrets"
        }

    def test_every_row_names_a_route(self) -> None:
        known = set().union(*matrix.routes().values())
        stale = {row.op for row in matrix.rows() if (row.method, row.template) not in known}
        assert not stale, f"rows naming no route: {sorted(stale)}"

    def test_rows_name_known_objects_and_callers(self) -> None:
        callers = set(matrix.callers())
        for row in matrix.rows():
            assert set(row.callers) <= callers, row.id
            assert set(row.path) == set(matrix.PARAM.findall(row.template)), row.id
