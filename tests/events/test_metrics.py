"""The event kit's Prometheus metrics, read from the /metrics of running services: they move
as events are published, applied, retried and dead-lettered, and the outbox and lag gauges
follow the backlog."""

import uuid
from collections.abc import AsyncIterator
from typing import Any

import pytest
from prometheus_client.parser import text_string_to_metric_families

from shared.events import Envelope
from tests.jobs.conftest import make_employer
from tests.support.apps import RunningService, running_service
from tests.support.events import publish_signed
from tests.support.infra import connect_harness, wait_until

CONSUMER = "subsidies-eligibility"
FAST = {"event_metrics_seconds": 0.1}


async def metric(
    process: RunningService, name: str, missing: float = 0.0, /, **labels: str
) -> float:
    """The value of one sample of ``process``'s /metrics (``missing`` when it is not there)."""
    r = await process.client.get("/metrics")
    assert r.status_code == 200
    for family in text_string_to_metric_families(r.text):
        for sample in family.samples:
            if sample.name == name and all(sample.labels.get(k) == v for k, v in labels.items()):
                return float(sample.value)
    return missing


def consumed(event_type: str, outcome: str) -> dict[str, str]:
    return {"consumer": CONSUMER, "event_type": event_type, "outcome": outcome}


@pytest.fixture
async def both(settings_for) -> AsyncIterator[tuple[RunningService, RunningService]]:  # type: ignore[no-untyped-def]
    async with (
        running_service("jobs", settings_for("jobs", **FAST)) as jobs,
        running_service("subsidies", settings_for("subsidies", **FAST)) as subsidies,
    ):
        yield jobs, subsidies


async def test_counters_move_as_events_flow_from_jobs_to_subsidies(both):
    jobs, subsidies = both
    registered = consumed("jobs.employer.registered", "applied")
    published_before = await metric(jobs, "ew_events_published_total", service="jobs")
    applied_before = await metric(subsidies, "ew_events_consumed_total", **registered)

    await make_employer(jobs)

    async def applied() -> bool:
        return await metric(subsidies, "ew_events_consumed_total", **registered) > applied_before

    await wait_until(applied, what="the employer event applied by subsidies")
    assert await metric(subsidies, "ew_events_consumed_total", **registered) == applied_before + 1
    assert await metric(jobs, "ew_events_published_total", service="jobs") == published_before + 1

    async def settled() -> bool:
        backlog = await metric(jobs, "ew_outbox_backlog", -1, service="jobs")
        lag = await metric(subsidies, "ew_consumer_pending_messages", -1, consumer=CONSUMER)
        unacked = await metric(subsidies, "ew_consumer_ack_pending_messages", -1, consumer=CONSUMER)
        return backlog == 0 and lag == 0 and unacked == 0

    await wait_until(settled, what="no backlog and no lag")
    assert await metric(jobs, "ew_outbox_oldest_pending_seconds", service="jobs") == 0


async def test_retried_and_dead_lettered_events_are_counted(both, nats_url, namespace):
    _jobs, subsidies = both
    nc = await connect_harness(nats_url)
    js = nc.jetstream()
    ended = "jobs.placement.ended"
    dead_before = await metric(
        subsidies, "ew_events_dead_lettered_total", consumer=CONSUMER, reason="invalid_data"
    )
    consumed_dead_before = await metric(
        subsidies, "ew_events_consumed_total", **consumed(ended, "dead_lettered")
    )
    retried_before = await metric(
        subsidies, "ew_events_retried_total", consumer=CONSUMER, event_type=ended
    )

    async def publish(data: dict[str, Any]) -> None:
        envelope = Envelope(type=ended, source="jobs", data=data)
        body = envelope.model_dump_json().encode()
        await publish_signed(js, f"{namespace}.{ended}", body, publisher="jobs")

    try:
        await publish({"placement_id": "not a uuid", "end_date": "2020-01-31"})
        # A placement subsidies has not seen: retried until it arrives (it never does here).
        await publish({"placement_id": str(uuid.uuid4()), "end_date": "2020-01-31"})

        async def counted() -> bool:
            dead = await metric(
                subsidies,
                "ew_events_dead_lettered_total",
                consumer=CONSUMER,
                reason="invalid_data",
            )
            retried = await metric(
                subsidies, "ew_events_retried_total", consumer=CONSUMER, event_type=ended
            )
            return dead == dead_before + 1 and retried > retried_before

        await wait_until(counted, what="a dead letter and a retry counted")
        assert (
            await metric(subsidies, "ew_events_consumed_total", **consumed(ended, "dead_lettered"))
            == consumed_dead_before + 1
        )
    finally:
        await nc.close()


async def test_the_outbox_backlog_grows_while_nats_is_away(settings_for):
    settings = settings_for("jobs", nats_url="nats://127.0.0.1:9", **FAST)
    async with running_service("jobs", settings, wait_for_messaging=False) as jobs:
        await make_employer(jobs)
        await make_employer(jobs)

        async def backlog() -> bool:
            return await metric(jobs, "ew_outbox_backlog", service="jobs") == 2

        await wait_until(backlog, what="a backlog of two events")
        await wait_until(
            lambda: _positive(metric(jobs, "ew_outbox_oldest_pending_seconds", service="jobs")),
            what="the age of the oldest pending event",
        )


async def _positive(value: Any) -> bool:
    return float(await value) > 0
