"""responses(): every route declares its problem documents the same way, with one schema."""

from typing import Any

from fastapi import FastAPI
from fastapi.testclient import TestClient
from pydantic import BaseModel

from shared.errors import PROBLEM_JSON, Conflict, install_error_handlers
from shared.openapi import DESCRIPTIONS, PROBLEM_REF, Problem, document_problems, responses


class TestResponses:
    def test_gives_the_codes_asked_in_order(self):
        assert list(responses(404, 401, 409)) == [404, 401, 409]
        assert responses() == {}

    def test_every_code_is_a_problem_document_with_the_shared_schema(self):
        for code, declared in responses(*DESCRIPTIONS).items():
            assert declared["description"] == DESCRIPTIONS[code]
            assert declared["content"] == {PROBLEM_JSON: {"schema": {"$ref": PROBLEM_REF}}}

    def test_a_description_can_be_overridden_for_one_code(self):
        said = responses(409, 422, descriptions={409: "The business day is closed."})
        assert said[409]["description"] == "The business day is closed."
        assert said[422]["description"] == DESCRIPTIONS[422]
        assert responses(409)[409]["description"] == DESCRIPTIONS[409]  # nothing kept

    def test_a_code_without_a_shared_description_can_be_given_one(self):
        said = responses(503, descriptions={503: "The bank cannot be reached; retry later."})
        assert said[503]["description"] == "The bank cannot be reached; retry later."

    def test_appear_in_the_route_openapi_and_match_what_is_answered(self):
        app = FastAPI()
        install_error_handlers(app)
        document_problems(app)

        @app.post("/days/close", responses=responses(401, 409))
        async def close_day() -> dict[str, Any]:
            raise Conflict("The business day is already closed.")

        document = app.openapi()
        operation = document["paths"]["/days/close"]["post"]
        assert {"401", "409"} <= set(operation["responses"])
        declared = operation["responses"]["409"]["content"][PROBLEM_JSON]["schema"]
        assert declared == {"$ref": PROBLEM_REF}
        problem = document["components"]["schemas"]["Problem"]
        assert set(problem["required"]) == {"type", "title", "status", "detail"}
        assert app.openapi() is document  # built once

    def test_an_operation_with_a_body_documents_400_for_a_body_that_cannot_be_read(self):
        # Found by the API fuzzing: bytes that are not UTF-8 are answered 400 by FastAPI.
        app = FastAPI()
        install_error_handlers(app)
        document_problems(app)

        class Body(BaseModel):
            name: str

        @app.post("/things", responses=responses(422))
        async def create(body: Body) -> dict[str, Any]:
            return {}

        @app.get("/things")
        async def read() -> dict[str, Any]:
            return {}

        paths = app.openapi()["paths"]["/things"]
        assert paths["post"]["responses"]["400"]["content"] == {
            PROBLEM_JSON: {"schema": {"$ref": PROBLEM_REF}}
        }
        assert "400" not in paths["get"]["responses"]
        answered = TestClient(app).post(
            "/things", content=b"\xc3\x28", headers={"content-type": "application/json"}
        )
        assert answered.status_code == 400
        assert answered.headers["content-type"] == PROBLEM_JSON

    def test_problem_model_reads_an_answered_problem(self):
        body = {
            "type": "urn:eastwest:problem:conflict",
            "title": "Conflict with the current state",
            "status": 409,
            "detail": "The business day is already closed.",
            "instance": "/days/close",
        }
        assert Problem.model_validate(body).status == 409
