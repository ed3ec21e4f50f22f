"""The committed OpenAPI documents (docs/openapi/) are what the apps serve: an API change is
made on purpose, with `python -m deploy.openapi`, and seen in review."""

import json

import pytest

from deploy.openapi import OPENAPI_DIR, main, rendered
from deploy.topology import PROCESSES


@pytest.mark.parametrize("process", list(PROCESSES))
def test_the_committed_document_is_what_the_app_serves(process: str) -> None:
    committed = (OPENAPI_DIR / f"{process}.json").read_text(encoding="utf-8")
    assert committed == rendered(process), (
        f"docs/openapi/{process}.json is out of date: run `python -m deploy.openapi` and review "
        "the diff"
    )


def test_problem_responses_refer_to_the_one_problem_schema() -> None:
    for process in PROCESSES:
        document = json.loads((OPENAPI_DIR / f"{process}.json").read_text(encoding="utf-8"))
        assert "Problem" in document["components"]["schemas"]
        for path, operations in document["paths"].items():
            for method, operation in operations.items():
                for code, response in operation["responses"].items():
                    if code.startswith("4"):
                        content = response["content"]["application/problem+json"]
                        assert content["schema"] == {"$ref": "#/components/schemas/Problem"}, (
                            f"{process} {method.upper()} {path} {code}"
                        )


def test_check_mode_reports_a_stale_document(tmp_path, monkeypatch, capsys) -> None:
    import deploy.openapi as module

    monkeypatch.setattr(module, "OPENAPI_DIR", tmp_path)
    assert main(["--check"]) == 1
    assert "out of date" in capsys.readouterr().out
    assert main([]) == 0 and main(["--check"]) == 0
