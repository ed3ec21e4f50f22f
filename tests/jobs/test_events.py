"""The published contract: every event reaches JetStream on its subject, with the payload
``events.py`` declares and nothing more (no personal data)."""

import json

import pytest

from services.jobs import events
from shared.events import stream_name
from tests.jobs.conftest import (
    confirm,
    hire,
    make_employer,
    make_partner,
    make_posting,
    make_worker,
    staff,
    worker_body,
)
from tests.support.infra import connect_harness, wait_until

CONTRACT = {cls.event_type: cls for cls in events.PUBLISHED_EVENTS}


async def run_every_action(jobs):
    """One of each published event."""
    _, headers = await make_partner(jobs)
    posting = await make_posting(jobs, headers, openings=1)
    body = worker_body()
    worker = await make_worker(jobs, **{k: body[k] for k in ("national_id", "phone")})
    corrected = await jobs.client.patch(
        f"/v1/jobs/workers/{worker['id']}", json={"township": "Languan"}, headers=staff()
    )
    assert corrected.status_code == 200, corrected.text
    placement = (await hire(jobs, headers, posting, worker)).json()  # fills the posting
    await confirm(jobs, headers, placement["id"], "2026-03")
    await jobs.client.post(
        f"/v1/jobs/placements/{placement['id']}/end",
        json={"end_date": "2026-03-31", "reason": "resigned"},
        headers=headers,
    )
    training = (
        await jobs.client.post(
            "/v1/jobs/trainings",
            json={
                "title": "Tea picking",
                "starts_on": "2026-06-01",
                "ends_on": "2026-06-02",
                "location": "Houchang",
            },
            headers=staff(),
        )
    ).json()
    await jobs.client.post(
        f"/v1/jobs/trainings/{training['id']}/attendees",
        json={"worker_id": worker["id"]},
        headers=staff(),
    )
    await jobs.client.post(
        f"/v1/jobs/trainings/{training['id']}/completions",
        json={"worker_id": worker["id"], "completed_on": "2026-06-02"},
        headers=staff(),
    )
    await make_employer(jobs, kind="dedicated_post")
    return body


@pytest.fixture
async def js(nats_url):
    nc = await connect_harness(nats_url)
    try:
        yield nc.jetstream()
    finally:
        await nc.close()


class TestPublishedEvents:
    async def test_every_event_reaches_jetstream_matching_the_contract(self, jobs, js, namespace):
        personal = await run_every_action(jobs)
        stream = stream_name("jobs", namespace)

        async def count():
            return (await js.stream_info(stream)).state.messages

        # 2 employers, worker, its correction, published, filled, started, month, ended, training
        expected = 10
        await wait_until(lambda: _at_least(count, expected), timeout=15, what="events relayed")
        assert await count() == expected
        messages = [await js.get_msg(stream, seq) for seq in range(1, expected + 1)]
        seen = set()
        for msg in messages:
            envelope = json.loads(msg.data)
            assert msg.subject == f"{namespace}.{envelope['type']}"
            assert msg.headers["Nats-Msg-Id"] == envelope["id"]
            assert envelope["source"] == "jobs" and envelope["version"] == 1
            contract = CONTRACT[envelope["type"]]
            contract.model_validate(envelope["data"])  # no missing or extra fields
            assert set(envelope["data"]) == set(contract.model_fields)
            for secret in personal.values():
                if isinstance(secret, str) and secret.isdigit():
                    assert secret not in msg.data.decode()
            assert personal["national_id"] not in msg.data.decode()
            assert personal["name"] not in msg.data.decode()
            if envelope["type"] in ("jobs.worker.registered", "jobs.worker.updated"):
                # Masked only, as the public notice of subsidy recipients shows them.
                assert envelope["data"]["name_masked"] == "W*******g"
                clear = personal["national_id"]
                assert envelope["data"]["national_id_masked"] == clear[:3] + "*" * 11 + clear[-4:]
            seen.add(envelope["type"])
        assert seen == set(CONTRACT)

    def test_every_contract_is_documented_and_has_no_personal_fields(self):
        for event_type, cls in CONTRACT.items():
            assert event_type.startswith("jobs.")
            assert cls.__doc__ and len(cls.__doc__) > 40
            fields = set(cls.model_fields)
            assert not fields & {"national_id", "phone", "worker_name", "address"}
            # An organisation's name is public; a person's never travels in an event.
            assert "name" not in fields or event_type == "jobs.employer.registered"

    def test_field_names_are_the_agreed_contract(self):
        agreed = {
            "jobs.employer.registered": {"employer_id", "kind", "name", "location"},
            "jobs.worker.registered": {
                "worker_id",
                "township",
                "poor_household",
                "registered_on",
                "name_masked",
                "national_id_masked",
            },
            "jobs.worker.updated": {
                "worker_id",
                "township",
                "poor_household",
                "registered_on",
                "name_masked",
                "national_id_masked",
                "changed_at",
            },
            "jobs.posting.published": {
                "posting_id",
                "employer_id",
                "title",
                "category",
                "openings",
                "salary_min_fen",
                "salary_max_fen",
                "district",
                "valid_through",
            },
            "jobs.posting.closed": {"posting_id", "employer_id", "status"},
            "jobs.placement.started": {
                "placement_id",
                "worker_id",
                "employer_id",
                "employer_kind",
                "posting_id",
                "poor_household",
                "township",
                "start_date",
                "monthly_wage_fen",
            },
            "jobs.placement.month_confirmed": {
                "confirmation_id",
                "placement_id",
                "worker_id",
                "employer_id",
                "employer_kind",
                "month",
                "wage_paid_fen",
                "supersedes",
            },
            "jobs.placement.ended": {
                "placement_id",
                "worker_id",
                "employer_id",
                "end_date",
                "reason",
            },
            "jobs.training.completed": {
                "session_id",
                "worker_id",
                "poor_household",
                "completed_on",
            },
        }
        assert {t: set(c.model_fields) for t, c in CONTRACT.items()} == agreed


async def _at_least(count, n):
    return await count() >= n
