"""Consumers declare only the fields they read; this checks each of them against the publisher's
contract (its ``events.py``), so a publisher cannot rename or retype a field that another service
reads without a test failing here."""

import inspect
import re

import pytest
from pydantic import BaseModel

from services.jobs import events as jobs_events
from services.subsidies import consumers as subsidies_consumers
from shared.events import Event

PUBLISHED = {
    cls.event_type: cls
    for cls in vars(jobs_events).values()
    if inspect.isclass(cls) and issubclass(cls, Event) and cls is not Event
}

# The model each subsidies handler reads its event's data with: the annotation of its payload
# parameter, which the consumer runner validates the data into before calling the handler.
READS: dict[str, type[BaseModel]] = {
    event_type: model
    for sub in subsidies_consumers.subscriptions
    for event_type, model in sub.models().items()
}


def _kind(schema: dict, root: dict) -> set[tuple[str | None, str | None]]:
    """The JSON types (with format) a property schema admits, ignoring value constraints."""
    kinds = set()
    for option in schema.get("anyOf", [schema]):
        if "$ref" in option:
            option = root["$defs"][option["$ref"].split("/")[-1]]
        kind = option.get("type") or ("string" if "enum" in option else None)
        kinds.add((kind, option.get("format")))
    return kinds


def test_every_subscribed_type_is_published():
    subscribed = {t for sub in subsidies_consumers.subscriptions for t in sub.handlers}
    assert subscribed <= set(PUBLISHED)
    assert subscribed == {
        "jobs.employer.registered",
        "jobs.worker.registered",
        "jobs.worker.updated",
        "jobs.placement.started",
        "jobs.placement.month_confirmed",
        "jobs.placement.ended",
    }
    # Each is read with the consumer's own model, never the publisher's class.
    assert not any(issubclass(model, Event) for model in READS.values())


@pytest.mark.parametrize("event_type", sorted(READS))
def test_consumer_reads_only_what_the_publisher_sends(event_type):
    published = PUBLISHED[event_type].model_json_schema()
    read = READS[event_type].model_json_schema()
    for field, schema in read["properties"].items():
        assert field in published["properties"], f"{event_type}: {field} is not published"
        sent = published["properties"][field]
        sent_kinds, read_kinds = _kind(sent, published), _kind(schema, read)
        assert sent_kinds <= read_kinds, (
            f"{event_type}.{field}: published as {sent_kinds}, read as {read_kinds}"
        )
        if field in read.get("required", []):
            assert field in published.get("required", []), (
                f"{event_type}.{field} is required by the consumer but optional for the publisher"
            )


@pytest.mark.parametrize("event_type", sorted(READS))
def test_enumerations_agree(event_type):
    published = PUBLISHED[event_type].model_json_schema()
    read = READS[event_type].model_json_schema()

    def values(schema: dict, root: dict) -> set[str]:
        if "$ref" in schema:
            schema = root["$defs"][schema["$ref"].split("/")[-1]]
        return set(schema.get("enum", []))

    for field, schema in read["properties"].items():
        accepted = values(schema, read)
        if accepted:
            sent = values(published["properties"][field], published)
            assert sent <= accepted, f"{event_type}.{field}: {sent - accepted} would be refused"


# Formats whose every value has a known length, so a consumer's maxLength can be checked.
_FORMAT_LENGTH = {"uuid": 36, "date": 10}


def _options(schema: dict, root: dict) -> list[dict]:
    """The non-null alternatives of a property schema, with references resolved."""
    options = []
    for option in schema.get("anyOf", [schema]):
        if "$ref" in option:
            option = root["$defs"][option["$ref"].split("/")[-1]]
        if option.get("type") != "null":
            options.append(option)
    return options


def _bounds(option: dict) -> tuple[float | None, float | None]:
    """The inclusive range an integer option admits (exclusive bounds moved by one)."""
    low = option.get("minimum")
    if "exclusiveMinimum" in option:
        exclusive = option["exclusiveMinimum"] + 1
        low = exclusive if low is None else max(low, exclusive)
    high = option.get("maximum")
    if "exclusiveMaximum" in option:
        exclusive = option["exclusiveMaximum"] - 1
        high = exclusive if high is None else min(high, exclusive)
    return low, high


def _refusals(sent: dict, read: dict) -> list[str]:
    """Why a value the publisher's option ``sent`` admits could be refused by ``read``."""
    problems = []
    enum = sent.get("enum")
    if "const" in sent:
        enum = [sent["const"]]
    low, high = _bounds(read)
    sent_low, sent_high = _bounds(sent)
    if low is not None and (sent_low is None or sent_low < low):
        problems.append(f"consumer needs >= {low}, publisher allows {sent_low}")
    if high is not None and (sent_high is None or sent_high > high):
        problems.append(f"consumer needs <= {high}, publisher allows {sent_high}")
    if (
        "pattern" in read
        and sent.get("pattern") != read["pattern"]
        and (enum is None or not all(re.search(read["pattern"], str(v)) for v in enum))
    ):
        problems.append(
            f"consumer needs pattern {read['pattern']}, publisher {sent.get('pattern')}"
        )
    if "maxLength" in read:
        longest = sent.get("maxLength", _FORMAT_LENGTH.get(sent.get("format", "")))
        if enum is not None:
            longest = max(len(str(v)) for v in enum)
        if longest is None or longest > read["maxLength"]:
            problems.append(f"consumer needs maxLength {read['maxLength']}, publisher {longest}")
    if read.get("minLength", 0) > sent.get("minLength", 0) and enum is None:
        problems.append(f"consumer needs minLength {read['minLength']}, publisher none")
    return problems


@pytest.mark.parametrize("event_type", sorted(READS))
def test_consumer_accepts_every_value_the_publisher_may_send(event_type):
    """A consumer may be stricter than its publisher only where the publisher promises the same:
    otherwise a value the publisher validly sends is refused and the event goes to dead letters."""
    published = PUBLISHED[event_type].model_json_schema()
    read = READS[event_type].model_json_schema()
    for field, schema in read["properties"].items():
        read_options = _options(schema, read)
        for sent in _options(published["properties"][field], published):
            kind = sent.get("type") or ("string" if "enum" in sent or "const" in sent else None)
            candidates = [
                r
                for r in read_options
                if (r.get("type") or ("string" if "enum" in r else None)) == kind
            ]
            assert candidates, f"{event_type}.{field}: no consumer option for {sent}"
            reasons = [_refusals(sent, r) for r in candidates]
            assert any(not r for r in reasons), f"{event_type}.{field}: {reasons}"
