"""The service's OpenAPI documents every endpoint: tags, operation ids, summaries, declared
errors, and examples on every request body."""

from services.jobs.app import create_app
from services.jobs.employers import schemas as employers
from services.jobs.fairs import schemas as fairs
from services.jobs.placements import schemas as placements
from services.jobs.postings import schemas as postings
from services.jobs.trainings import schemas as trainings
from services.jobs.workers import schemas as workers
from tests.support.apps import identity_headers

# Every request body's model, by its name in the document.
REQUEST_MODELS = {
    name: model
    for module in (employers, postings, workers, fairs, trainings, placements)
    for name, model in vars(module).items()
    if isinstance(model, type)
}


def spec():
    return create_app().openapi()


def operations():
    for path, ops in spec()["paths"].items():
        if path.startswith("/v1/jobs"):
            for method, op in ops.items():
                yield path, method, op


def test_every_operation_is_described():
    ids = []
    for path, method, op in operations():
        where = f"{method.upper()} {path}"
        assert op.get("operationId"), where
        assert op.get("summary"), where
        assert op.get("tags"), where
        assert "403" in op["responses"] and "422" in op["responses"], where
        ids.append(op["operationId"])
    assert len(ids) == len(set(ids)) >= 30


def test_every_request_body_has_an_example():
    schemas = spec()["components"]["schemas"]
    for path, method, op in operations():
        body = op.get("requestBody")
        if body is None:
            continue
        ref = body["content"]["application/json"]["schema"]["$ref"].rsplit("/", 1)[-1]
        assert schemas[ref].get("examples"), f"{method.upper()} {path} ({ref})"


def test_retried_writes_document_idempotency_keys():
    for path, _method, op in operations():
        if op["operationId"] in {"createPlacement", "confirmPlacementMonth"}:
            headers = {p["name"] for p in op.get("parameters", []) if p["in"] == "header"}
            assert "Idempotency-Key" in headers, path


def test_every_answer_has_an_example():
    document = spec()
    schemas = document["components"]["schemas"]

    def named(schema):
        ref = schema.get("$ref") or schema.get("items", {}).get("$ref")
        return ref.rsplit("/", 1)[-1] if ref else None

    for path, method, op in operations():
        for code, answer in op["responses"].items():
            if not code.startswith("2"):
                continue
            name = named(answer["content"]["application/json"]["schema"])
            if name is None:  # a plain list of ids
                continue
            if name.startswith("Page"):
                name = named(schemas[name]["properties"]["items"])
            assert schemas[name].get("examples"), f"{method.upper()} {path} ({name})"


class TestDeclaredErrors:
    def test_errors_are_documented_as_problem_json(self):
        # The handlers answer application/problem+json; a client generated from the document
        # must expect that type, not application/json.
        components = spec()["components"]["schemas"]
        for path, method, op in operations():
            for code, answer in op["responses"].items():
                if code.startswith(("4", "5")):
                    assert list(answer["content"]) == ["application/problem+json"], (
                        f"{method.upper()} {path} {code}"
                    )
                    schema = answer["content"]["application/problem+json"]["schema"]
                    if "$ref" in schema:  # the one Problem component
                        schema = components[schema["$ref"].split("/")[-1]]
                    assert {"type", "title", "status", "detail"} <= set(schema["required"])


class TestRequestExamples:
    def test_every_request_example_is_accepted_by_its_model(self):
        # A user copying an example from the docs must not get a 422 (the worker example's
        # national ID once failed its own check character).
        checked = 0
        for _path, _method, op in operations():
            body = op.get("requestBody")
            if body is None:
                continue
            name = body["content"]["application/json"]["schema"]["$ref"].rsplit("/", 1)[-1]
            model = REQUEST_MODELS[name]
            for example in model.model_json_schema().get("examples", []):
                model.model_validate(example)
                checked += 1
        assert checked >= 10

    async def test_worker_example_registers(self, jobs):
        example = spec()["components"]["schemas"]["WorkerCreate"]["examples"][0]
        response = await jobs.client.post(
            "/v1/jobs/workers", json=example, headers=identity_headers("bureau_clerk")
        )
        assert response.status_code == 201, response.text
        assert response.json()["national_id_masked"] == "522***********0025"
