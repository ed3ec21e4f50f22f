"""loader(): the dependency that gives the resource named in the path, or its 404."""

import uuid
from collections.abc import AsyncIterator
from typing import Annotated, Any

import httpx
import pytest
from fastapi import Depends, FastAPI
from sqlalchemy.ext.asyncio import AsyncSession

from shared.db import make_engine, make_sessionmaker
from shared.errors import PROBLEM_JSON, NotFound, install_error_handlers
from shared.loader import loader
from shared.runtime import Runtime

FUND_ID = uuid.UUID("0b8f6f2e-3a53-4d55-9d1d-1f3c54d5e001")
FUNDS = {FUND_ID: {"id": str(FUND_ID), "name": "Weng'an employment fund"}}
CODES = {"A-7": {"code": "A-7", "name": "tea"}}
fetched: list[Any] = []


class FundNotFound(NotFound):
    def __init__(self, fund_id: uuid.UUID) -> None:
        super().__init__("fund", fund_id)


class CodeNotFound(NotFound):
    def __init__(self, code: str) -> None:
        super().__init__("product code", code)


async def get_fund(session: AsyncSession, fund_id: uuid.UUID) -> dict[str, str] | None:
    assert isinstance(session, AsyncSession)  # the request's session is handed on
    fetched.append(fund_id)
    return FUNDS.get(fund_id)


async def get_code(session: AsyncSession, code: str) -> dict[str, str] | None:
    return CODES.get(code)


FundDep = Annotated[dict[str, str], Depends(loader(get_fund, FundNotFound, param="fund_id"))]
CodeDep = Annotated[
    dict[str, str], Depends(loader(get_code, CodeNotFound, param="code", annotation=str))
]


@pytest.fixture
async def client(tmp_path) -> AsyncIterator[httpx.AsyncClient]:  # type: ignore[no-untyped-def]
    engine = make_engine(f"sqlite+aiosqlite:///{tmp_path / 'loader.db'}")
    app = FastAPI()
    install_error_handlers(app)
    app.state.runtime = Runtime(
        engine=engine, sessionmaker=make_sessionmaker(engine), head_revision=None
    )

    @app.get("/funds/{fund_id}")
    async def read_fund(fund: FundDep) -> dict[str, str]:
        return fund

    @app.get("/codes/{code}")
    async def read_code(product_code: CodeDep) -> dict[str, str]:
        return product_code

    fetched.clear()
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://svc") as c:
        c.app = app  # type: ignore[attr-defined]
        yield c
    await engine.dispose()


class TestLoader:
    async def test_gives_the_resource(self, client):
        r = await client.get(f"/funds/{FUND_ID}")
        assert (r.status_code, r.json()) == (200, FUNDS[FUND_ID])
        assert fetched == [FUND_ID]  # the path parameter, parsed to its annotation

    async def test_missing_is_the_given_404(self, client):
        other = uuid.uuid4()
        r = await client.get(f"/funds/{other}")
        assert r.status_code == 404
        assert r.headers["content-type"] == PROBLEM_JSON
        assert r.json()["detail"] == f"No fund with id {other}."
        assert r.json()["resource"] == "fund"

    async def test_a_malformed_id_is_422_naming_the_parameter(self, client):
        r = await client.get("/funds/not-a-uuid")
        assert r.status_code == 422
        assert r.json()["errors"][0]["field"] == "path.fund_id"
        assert fetched == []  # never fetched

    async def test_another_annotation(self, client):
        assert (await client.get("/codes/A-7")).json() == CODES["A-7"]
        r = await client.get("/codes/B-1")
        assert (r.status_code, r.json()["detail"]) == (404, "No product code with id B-1.")

    async def test_is_a_path_parameter_in_openapi(self, client):
        operation = client.app.openapi()["paths"]["/funds/{fund_id}"]["get"]
        assert operation["parameters"] == [
            {
                "name": "fund_id",
                "in": "path",
                "required": True,
                "schema": {"type": "string", "format": "uuid", "title": "Fund Id"},
            }
        ]
        code = client.app.openapi()["paths"]["/codes/{code}"]["get"]["parameters"]
        assert [(p["name"], p["in"], p["schema"]["type"]) for p in code] == [
            ("code", "path", "string")
        ]
