"""API fuzzing through the gateway (issue 14, part 3; RELIABILITY: every answer is one the
document promises, no 5xx from any input, no operation served without its credential).

Every operation of the gateway's OpenAPI document is fuzzed as every caller (anonymous, partner,
store, clerk, approver, auditor, admin: the credentials of tests/support/world.py), with
``EW_FUZZ_EXAMPLES`` valid and as many invalid requests each and a fixed seed
(``EW_FUZZ_SEED``); then linked operations are chained as each caller that writes. The bounded
run is part of ``make test``; ``make fuzz`` runs the same tests with many more examples.
See tests/fuzz/runner.py for what is checked."""

import asyncio
import json
from pathlib import Path
from typing import Any

import pytest

from tests.fuzz import runner
from tests.support.world import CALLERS, World

DOCS = Path(__file__).resolve().parents[2] / "docs" / "openapi"
PROCESSES = ("gateway", "jobs", "products", "subsidies")
METHODS = ("get", "put", "post", "patch", "delete")
# Callers whose stateful chains can create something to follow.
WRITERS = ("partner", "store", "bureau_clerk", "bureau_approver", "admin")


def _labels() -> list[str]:
    """Every operation reachable through the gateway, from the committed documents (a test of
    their own compares them with what the apps serve): the gateway's, and each service's under
    its prefix (its health and metrics are not routed)."""
    labels = []
    for process in PROCESSES:
        doc = json.loads((DOCS / f"{process}.json").read_text())
        for path, item in doc["paths"].items():
            if process != "gateway" and not path.startswith(f"/v1/{process}/"):
                continue
            labels += [f"{m.upper()} {path}" for m in METHODS if m in item]
    return labels


LABELS = _labels()


@pytest.fixture(scope="package")
async def schema(world: World) -> Any:
    return await asyncio.to_thread(runner.load_schema, world.gateway_url)


def _report(findings: list[runner.Finding]) -> str:
    return f"{len(findings)} finding(s):\n" + "\n".join(str(f) for f in findings)


async def test_every_operation_of_the_gateway_document_is_fuzzed(schema: Any) -> None:
    served = {op.ok().label for op in schema.get_all_operations()}
    routed = {label for label in served if not label.endswith(("/healthz", "/readyz", "/metrics"))}
    assert routed - {*LABELS} == set(), "operations the fuzzing does not know"
    assert {*LABELS} - served == set(), "operations missing from the gateway's document"


@pytest.mark.parametrize("label", LABELS)
async def test_operation(world: World, schema: Any, label: str) -> None:
    callers = {caller: world.headers(caller) for caller in CALLERS}
    findings, sent = await asyncio.to_thread(
        runner.fuzz_operation, schema, label, world.gateway_url, callers
    )
    assert sent > 0
    assert not findings, _report(findings)


@pytest.mark.parametrize("caller", WRITERS)
async def test_stateful(world: World, schema: Any, caller: str) -> None:
    findings, sent = await asyncio.to_thread(
        runner.fuzz_stateful, schema, world.gateway_url, caller, world.headers(caller)
    )
    assert sent > 0
    assert not findings, _report(findings)
