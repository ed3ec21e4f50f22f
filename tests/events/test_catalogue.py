"""The event catalogue (docs/events.md) is generated from the publishers' contracts and the
consumers' subscriptions; the committed page must be what the code generates today."""

from pathlib import Path

from deploy.catalogue import catalogue
from deploy.topology import PUBLISHERS, events_module
from shared.events.catalogue import published_events

PAGE = Path(__file__).resolve().parents[2] / "docs" / "events.md"


def test_the_committed_catalogue_is_up_to_date():
    assert PAGE.read_text(encoding="utf-8") == catalogue(), (
        "docs/events.md is stale: run `python -m deploy.catalogue > docs/events.md`"
    )


def test_every_published_event_and_each_of_its_fields_is_listed():
    page = catalogue()
    for service in PUBLISHERS:
        events = published_events(events_module(service))
        assert events, f"{service} publishes nothing?"
        for cls in events:
            section = page.split(f"### `{cls.event_type}` (version {cls.event_version})")[1]
            section = section.split("\n### ")[0]
            for field in cls.model_fields:
                assert f"| `{field}` |" in section, f"{cls.event_type}.{field}"


def test_fields_a_consumer_reads_are_marked():
    page = catalogue()
    section = page.split("### `jobs.placement.started`")[1].split("\n### ")[0]
    assert "Consumed by: subsidies (`subsidies-eligibility`)." in section
    assert "| `monthly_wage_fen` | integer" in section
    row = next(line for line in section.splitlines() if line.startswith("| `monthly_wage_fen`"))
    assert row.endswith("| yes | subsidies |")
