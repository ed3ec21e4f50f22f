"""Schemathesis against the platform's OpenAPI document, through the gateway, as each caller.

The document is the one the gateway serves (``/openapi.json``: the gateway's own API and each
service's, with the bearer scheme on every operation but the public ones). For each operation
and caller, Hypothesis draws ``examples`` requests from the operation's schema (valid ones and,
where the schema allows, invalid ones) with a fixed seed, sends them with the caller's
credential and checks each answer:

- no 5xx (``not_a_server_error``);
- the answer is one the document describes: its status code, content type, headers and body
  (``status_code_conformance``, ``content_type_conformance``, ``response_headers_conformance``,
  ``response_schema_conformance``);
- no ignored authentication: a request that succeeded with a credential fails without one or
  with a wrong one (``ignored_auth``), and every request of the anonymous caller to an operation
  that needs a credential is answered 401, whatever else is wrong with it (``needs_credential``).

Stateful runs chain operations by the links Schemathesis infers from the document (an id a
response carries, used in another operation's path), as one caller.

Everything here is synchronous (Schemathesis sends with ``requests``): the tests run it in a
thread, since the platform's servers run in the test's event loop."""

import dataclasses
import os
import time
from collections.abc import Callable
from typing import Any
from urllib.parse import urlsplit

import hypothesis
import hypothesis.errors
import requests
import schemathesis
from hypothesis import HealthCheck, Phase
from schemathesis.checks import not_a_server_error
from schemathesis.core.failures import Failure, FailureGroup
from schemathesis.generation import GenerationMode
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    ignored_auth,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

SEED = int(os.environ.get("EW_FUZZ_SEED", "20260614"))
# Requests per operation, caller and generation mode (valid, invalid) in the bounded run.
EXAMPLES = int(os.environ.get("EW_FUZZ_EXAMPLES", "1"))
# Steps of each stateful scenario, and scenarios per caller.
STATEFUL_SCENARIOS = int(os.environ.get("EW_FUZZ_STATEFUL_SCENARIOS", "4"))
STATEFUL_STEPS = int(os.environ.get("EW_FUZZ_STATEFUL_STEPS", "6"))
STATEFUL_ATTEMPTS = 3

CHECKS: list[Callable[..., Any]] = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    ignored_auth,
]


@dataclasses.dataclass(frozen=True)
class Finding:
    operation: str
    caller: str
    title: str
    status: int | None
    detail: str
    reproduce: str

    def __str__(self) -> str:
        return (
            f"{self.operation} as {self.caller}: {self.title} [{self.status}]\n"
            f"    {self.detail}\n    reproduce: {self.reproduce}"
        )


def load_schema(gateway_url: str, patience: float = 120.0) -> Any:
    """The gateway's document, as Schemathesis reads it, aimed at the gateway. The gateway
    leaves out, for a few seconds, a service that did not answer its fetch within 3 s (a
    service builds its document on first request, slowly on a busy machine): wait until every
    service is in it."""
    config = schemathesis.Config.from_dict(
        {"base-url": gateway_url, "generation": {"mode": "all"}, "seed": SEED}
    )
    deadline = time.monotonic() + patience
    while True:
        doc = requests.get(f"{gateway_url}/openapi.json", timeout=30).json()
        incomplete = "**Not shown now**" in doc["info"].get("description", "")
        if not incomplete or time.monotonic() > deadline:
            break
        time.sleep(2.0)
    return schemathesis.openapi.from_dict(doc, config=config)


def needs_credential(operation: Any) -> bool:
    """Whether the document says the operation needs a credential (an operation-level
    ``security: []`` marks the public ones)."""
    security = operation.definition.raw.get("security")
    if security is None:
        security = operation.schema.raw_schema.get("security", [])
    return bool(security)


def _reproduce(case: Any, caller: str, headers: dict[str, str]) -> str:
    # The credential itself is never printed: the caller's name says which one it was.
    shown = {k: v for k, v in headers.items() if k.lower() != "authorization"}
    if "Authorization" in headers:
        shown["Authorization"] = f"<{caller}>"
    try:
        return str(case.as_curl_command(headers=shown))
    except Exception:  # a body that curl cannot show: the case's own parts instead
        return f"{case.method} {case.formatted_path} query={case.query} body={case.body!r}"


def _short(text: str, limit: int = 600) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[:limit] + "…"


def fuzz_operation(
    schema: Any,
    label: str,
    base_url: str,
    callers: dict[str, dict[str, str]],
    examples: int = EXAMPLES,
    seed: int = SEED,
) -> tuple[list[Finding], int]:
    """Fuzz one operation as every caller; returns what was found (one finding per caller and
    kind of failure) and the number of requests sent."""
    operation = schema.find_operation_by_label(label)
    assert operation is not None, f"the gateway's document has no operation {label}"
    findings: dict[tuple[str, str], Finding] = {}
    sent = 0
    for caller, headers in callers.items():
        for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):
            sent += _fuzz_as(operation, mode, caller, headers, base_url, findings, examples, seed)
    return list(findings.values()), sent


def observe(response: requests.Response) -> None:
    """The PII scan of the suite sees what the fuzzer sends and reads (it uses ``requests``, not
    the httpx clients the scan records by itself)."""
    from tests.pii.plugin import observe_exchange

    request = response.request
    path = urlsplit(request.url or "").path
    sent = request.body if isinstance(request.body, bytes | str) else None
    observe_exchange(request.method or "", path, sent, response.content)


def _fuzz_as(
    operation: Any,
    mode: GenerationMode,
    caller: str,
    headers: dict[str, str],
    base_url: str,
    findings: dict[tuple[str, str], Finding],
    examples: int,
    seed: int,
) -> int:
    """One caller, one generation mode: ``examples`` requests; returns how many were sent."""
    label = operation.label
    secured = needs_credential(operation)
    sent = 0

    def record(case: Any, title: str, status: int | None, detail: str) -> None:
        findings.setdefault(
            (caller, title),
            Finding(
                label, caller, title, status, _short(detail), _reproduce(case, caller, headers)
            ),
        )

    @hypothesis.seed(seed)
    @hypothesis.settings(
        max_examples=examples,
        deadline=None,
        database=None,
        phases=[Phase.explicit, Phase.generate],
        suppress_health_check=list(HealthCheck),
        verbosity=hypothesis.Verbosity.quiet,
    )
    @hypothesis.given(case=operation.as_strategy(generation_mode=mode))
    def run(case: Any) -> None:
        nonlocal sent
        sent += 1
        try:
            # A connection per request (no session): on a kept-alive connection to the test's
            # servers each answer waits ~40 ms for a delayed ACK (see tests/support/world.py).
            response = case.call(base_url=base_url, headers=headers)
        except requests.RequestException as exc:
            record(case, "no answer", None, repr(exc))
            return
        observe(response)
        if secured and not headers and response.status_code != 401:
            record(
                case,
                "a request without a credential was not answered 401",
                response.status_code,
                response.text,
            )
        try:
            case.validate_response(response, checks=CHECKS, headers=headers)
        except FailureGroup as group:
            for failure in group.exceptions:
                record(case, failure.title, response.status_code, failure.message)
        except Failure as failure:
            record(case, failure.title, response.status_code, failure.message)

    try:
        run()
    except hypothesis.errors.Unsatisfiable:
        # Nothing invalid can be drawn (an operation without parameters or body).
        assert mode is GenerationMode.NEGATIVE, f"{label}: no valid request can be drawn"
    return sent


def fuzz_stateful(
    schema: Any,
    base_url: str,
    caller: str,
    headers: dict[str, str],
    scenarios: int = STATEFUL_SCENARIOS,
    steps: int = STATEFUL_STEPS,
    seed: int = SEED,
) -> tuple[list[Finding], int]:
    """Chains of linked operations as one caller; returns the findings and requests sent."""
    findings: dict[tuple[str, str], Finding] = {}
    sent = 0
    base = schema.as_state_machine()

    class Machine(base):  # type: ignore[misc, valid-type]
        def _step(self, input: Any) -> Any:
            # An error (no answer, a link that cannot be followed) is a finding like a failed
            # check: raised, Hypothesis would replay the chain against a platform that has
            # changed since, and report only that the replay went another way.
            try:
                return self.step(input)
            except Exception as exc:
                findings.setdefault(
                    (input.case.operation.label, type(exc).__name__),
                    Finding(
                        input.case.operation.label,
                        caller,
                        f"error: {type(exc).__name__}",
                        None,
                        _short(repr(exc)),
                        _reproduce(input.case, caller, headers),
                    ),
                )
                return None

        def get_call_kwargs(self, case: Any) -> dict[str, Any]:
            return {"base_url": base_url, "headers": headers}

        def validate_response(self, response: Any, case: Any, **kwargs: Any) -> None:
            nonlocal sent
            sent += 1
            observe(response)
            failures: list[Failure] = []
            try:
                case.validate_response(response, checks=CHECKS, headers=headers)
            except FailureGroup as group:
                failures = list(group.exceptions)
            except Failure as failure:
                failures = [failure]
            for failure in failures:
                key = (case.operation.label, failure.title)
                findings.setdefault(
                    key,
                    Finding(
                        case.operation.label,
                        caller,
                        failure.title,
                        response.status_code,
                        _short(failure.message),
                        _reproduce(case, caller, headers),
                    ),
                )

    settings = hypothesis.settings(
        max_examples=scenarios,
        stateful_step_count=steps,
        deadline=None,
        database=None,
        phases=[Phase.generate],
        suppress_health_check=list(HealthCheck),
        verbosity=hypothesis.Verbosity.quiet,
    )
    # Which links can be followed depends on what the platform answered, and the platform keeps
    # what earlier chains wrote: Hypothesis, drawing a chain that began like an earlier one,
    # may find other rules enabled and stop with Flaky. That says nothing about the API (every
    # answer was checked as it came, above), so the run goes on from the next seed, as
    # Schemathesis's own runner does.
    for attempt in range(STATEFUL_ATTEMPTS):
        Machine.rule_order_seed = seed + attempt
        hypothesis.seed(seed + attempt)(Machine)  # read by run_state_machine_as_test
        try:
            Machine.run(settings=settings)
            break
        except hypothesis.errors.Flaky:
            continue
    return list(findings.values()), sent
