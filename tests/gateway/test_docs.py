"""Aggregated API docs, served offline."""

import re

from fastapi import FastAPI
from pydantic import BaseModel

from gateway.docs import SWAGGER_UI_DIR
from tests.gateway.conftest import DEAD_URL
from tests.support.servers import serve

EXTERNAL = re.compile(r"(?:https?:)?//[A-Za-z0-9.-]+")


class UserPublic(BaseModel):  # same name as a gateway schema, different content
    nickname: str


class Posting(BaseModel):
    title: str
    owner: UserPublic


def fake_jobs_service() -> FastAPI:
    """A service whose OpenAPI document is all the gateway reads; its handlers never run."""
    app = FastAPI(title="jobs")

    @app.get("/v1/jobs/postings", tags=["postings"], operation_id="list_postings")
    async def list_postings() -> list[Posting]:
        return []

    @app.get("/v1/jobs/postings/{posting_id}", tags=["postings"], operation_id="get_posting")
    async def get_posting(posting_id: str) -> Posting:
        raise NotImplementedError

    @app.post("/v1/jobs/workers", tags=["workers"], operation_id="register_worker")
    async def register_worker() -> UserPublic:
        raise NotImplementedError

    @app.get("/readyz")
    async def readyz() -> dict[str, str]:
        return {}

    return app


class TestDocsPage:
    async def test_no_external_url(self, gateway):
        r = await gateway.client.get("/docs")
        assert r.status_code == 200
        assert "text/html" in r.headers["content-type"]
        assert EXTERNAL.findall(r.text) == []
        csp = r.headers["content-security-policy"]
        assert "default-src 'self'" in csp and "script-src 'self'" in csp
        assets = re.findall(r'(?:src|href)="([^"]+)"', r.text)
        assert assets, "the page loads its assets"
        for asset in assets:
            assert asset.startswith("/") and not asset.startswith("//"), asset
            got = await gateway.client.get(asset)
            assert got.status_code == 200, asset
        init = await gateway.client.get("/docs/init.js")
        assert EXTERNAL.findall(init.text) == []
        assert "validatorUrl: null" in init.text

    async def test_page_reads_the_aggregated_document(self, gateway):
        # Swagger UI 5 reads OpenAPI 3.1, which FastAPI writes (version 4 refused it).
        assert SWAGGER_UI_DIR.name.startswith("swagger-ui-5.")
        init = await gateway.client.get("/docs/init.js")
        assert 'url: "/openapi.json"' in init.text
        assert (await gateway.client.get("/openapi.json")).json()["openapi"].startswith("3.1")

    async def test_swagger_ui_is_served_by_the_gateway(self, gateway):
        r = await gateway.client.get("/docs/static/swagger-ui-bundle.js")
        assert r.status_code == 200
        assert "SwaggerUIBundle" in r.text


class TestOpenApi:
    async def test_merges_services_and_the_gateway(self, start_gateway):
        async with serve(fake_jobs_service()) as jobs, start_gateway(jobs_url=jobs.url) as gw:
            r = await gw.client.get("/openapi.json")
        assert r.status_code == 200
        doc = r.json()
        paths = doc["paths"]
        for path in (
            "/v1/jobs/postings",
            "/v1/jobs/postings/{posting_id}",
            "/v1/jobs/workers",
            "/v1/auth/login",
            "/v1/admin/api-keys",
        ):
            assert path in paths, path
        assert doc["components"]["securitySchemes"]["bearer"]["scheme"] == "bearer"
        assert doc["security"] == [{"bearer": []}]
        # The public job board needs no credential; registering workers does.
        assert paths["/v1/jobs/postings"]["get"]["security"] == []
        assert paths["/v1/jobs/postings/{posting_id}"]["get"]["security"] == []
        assert "security" not in paths["/v1/jobs/workers"]["post"]
        assert paths["/v1/auth/login"]["post"]["security"] == []
        # Same schema name, different content: the service's is renamed, references follow.
        schemas = doc["components"]["schemas"]
        assert "username" in schemas["UserPublic"]["properties"]
        assert "nickname" in schemas["jobs_UserPublic"]["properties"]
        assert schemas["Posting"]["properties"]["owner"]["$ref"] == (
            "#/components/schemas/jobs_UserPublic"
        )
        assert "Not shown now" in doc["info"]["description"]  # products, subsidies are down
        assert paths["/v1/jobs/workers"]["post"]["tags"] == ["jobs: workers"]

    async def test_documents_what_the_gateway_answers_itself(self, start_gateway):
        # Found by the API fuzzing: 429 (a spent rate or bad-credential budget) was answered
        # on operations whose document did not list it.
        async with serve(fake_jobs_service()) as jobs, start_gateway(jobs_url=jobs.url) as gw:
            paths = (await gw.client.get("/openapi.json")).json()["paths"]
        problem = {"$ref": "#/components/schemas/Problem"}
        for path, method in (
            ("/v1/jobs/postings", "get"),
            ("/v1/jobs/workers", "post"),
            ("/v1/auth/login", "post"),
            ("/v1/admin/api-keys", "get"),
        ):
            answers = paths[path][method]["responses"]
            assert answers["429"]["content"]["application/problem+json"]["schema"] == problem
        public = paths["/v1/jobs/postings"]["get"]["responses"]
        assert "401" not in public  # no credential needed
        assert "401" in paths["/v1/jobs/workers"]["post"]["responses"]
        assert "413" in paths["/v1/admin/api-keys"]["post"]["responses"]
        assert "413" not in paths["/v1/admin/api-keys"]["get"]["responses"]
        # The gateway's probes are its own, answered without credential, rate or body.
        assert "429" not in paths["/healthz"]["get"]["responses"]

    async def test_all_services_down_still_serves_the_gateway(self, start_gateway):
        async with start_gateway(jobs_url=DEAD_URL) as gw:
            r = await gw.client.get("/openapi.json")
        assert r.status_code == 200
        doc = r.json()
        assert "/v1/auth/login" in doc["paths"]
        assert "jobs, products, subsidies" in doc["info"]["description"]
