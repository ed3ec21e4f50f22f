"""Consumers declare only the fields they read; this checks each of them against the publisher's
contract (its ``events.py``), so a publisher cannot rename or retype a field that another service
reads without a test failing here."""

import inspect

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

# The model each subsidies handler validates the event's data with.
READS: dict[str, type[BaseModel]] = {
    "jobs.employer.registered": subsidies_consumers.EmployerRegistered,
    "jobs.worker.registered": subsidies_consumers.WorkerRegistered,
    "jobs.placement.started": subsidies_consumers.PlacementStarted,
    "jobs.placement.month_confirmed": subsidies_consumers.MonthConfirmed,
    "jobs.placement.ended": subsidies_consumers.PlacementEnded,
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
    assert subscribed == set(READS)


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
