"""Forged jobs events published straight on NATS (issue 8, item 1): with the jobs and subsidies
services running, envelopes that the jobs service did not sign create no subsidy application and
cancel nothing, while the jobs service's own events keep flowing."""

import uuid
from datetime import date
from typing import Any

from sqlalchemy import func, select, text

from shared.events import Envelope
from shared.events.signing import EventSigner, generate_keypair
from shared.pii import national_id_check_char
from tests.jobs.conftest import Clock
from tests.subsidies.factories import (
    DEDICATED,
    applications,
    create_fund,
    create_program,
    get_app,
    wait_for_applications,
)
from tests.support.apps import identity_headers
from tests.support.events import signer
from tests.support.infra import connect_harness, wait_until


async def _jobs_call(jobs, path: str, body: dict[str, Any]) -> dict[str, Any]:  # type: ignore[no-untyped-def]
    r = await jobs.client.post(f"/v1/jobs{path}", json=body, headers=identity_headers("admin"))
    assert r.status_code == 201, r.text
    return r.json()  # type: ignore[no-any-return]


async def _dead_letters(subsidies) -> int:  # type: ignore[no-untyped-def]
    async with subsidies.sessionmaker() as s:
        return int(await s.scalar(select(func.count()).select_from(text("dead_letters"))) or 0)


class Forger:
    """Someone who reaches NATS and publishes on the jobs subjects, unsigned or with a key that
    is not the jobs service's."""

    def __init__(self, js: Any, namespace: str) -> None:
        self.js, self.namespace, self.sent = js, namespace, 0

    async def publish(self, event_type: str, data: dict[str, Any]) -> None:
        body = Envelope(type=event_type, source="jobs", data=data).model_dump_json().encode()
        subject = f"{self.namespace}.{event_type}"
        stranger = EventSigner(generate_keypair()[0])
        for headers in ({}, stranger.headers(body), signer("subsidies").headers(body)):
            await self.js.publish(subject, body, headers=headers)
            self.sent += 1


class TestForgedJobsEvents:
    async def test_forged_placement_and_months_create_nothing_and_cancel_nothing(
        self, jobs, subsidies, nats_url, namespace
    ):
        jobs.runtime.clock = Clock(date(2026, 6, 15))
        fund = await create_fund(subsidies)
        await create_program(subsidies, DEDICATED, fund["id"], valid_from="2026-01-01")

        # A real dedicated post, worker and first month, through the jobs API: signed by the
        # jobs relay, it becomes a pending application.
        post = await _jobs_call(
            jobs, "/employers", {"kind": "dedicated_post", "name": "Village post", "location": "X"}
        )
        first17 = "52052219900307123"
        worker = await _jobs_call(
            jobs,
            "/workers",
            {
                "name": "Wang Fang",
                "national_id": first17 + national_id_check_char(first17),
                "phone": "13985012345",
                "township": "Houchang",
                "poor_household": True,
                "skills": [],
            },
        )
        placement = await _jobs_call(
            jobs,
            "/placements",
            {
                "worker_id": worker["id"],
                "employer_id": post["id"],
                "start_date": "2026-03-02",
                "monthly_wage_fen": 180_000,
            },
        )
        march = await _jobs_call(
            jobs,
            f"/placements/{placement['id']}/confirmations",
            {"month": "2026-03", "wage_paid_fen": 180_000},
        )
        [real] = await wait_for_applications(subsidies, 1, program_code="dedicated-post")
        assert real["state"] == "pending_verification"

        # The forger has reached the broker with a connection that may publish anything (the
        # test harness's user): the signatures alone must stop it.
        nc = await connect_harness(nats_url)
        try:
            forger = Forger(nc.jetstream(), namespace)
            # A made-up placement of a made-up worker, and three confirmed months.
            fake = {
                "placement_id": str(uuid.uuid4()),
                "worker_id": str(uuid.uuid4()),
                "employer_id": post["id"],
                "employer_kind": "dedicated_post",
            }
            await forger.publish(
                "jobs.placement.started",
                fake
                | {
                    "posting_id": None,
                    "poor_household": True,
                    "township": "Houchang",
                    "start_date": "2026-03-01",
                    "monthly_wage_fen": 180_000,
                },
            )
            for month in ("2026-03", "2026-04", "2026-05"):
                await forger.publish(
                    "jobs.placement.month_confirmed",
                    fake
                    | {
                        "confirmation_id": str(uuid.uuid4()),
                        "month": month,
                        "wage_paid_fen": 180_000,
                        "supersedes": None,
                    },
                )
            # A "correction" of the real month to no wage, which would withdraw the real grant.
            await forger.publish(
                "jobs.placement.month_confirmed",
                {
                    "confirmation_id": str(uuid.uuid4()),
                    "placement_id": placement["id"],
                    "worker_id": worker["id"],
                    "employer_id": post["id"],
                    "employer_kind": "dedicated_post",
                    "month": "2026-03",
                    "wage_paid_fen": 0,
                    "supersedes": march["id"],
                },
            )
        finally:
            await nc.close()

        # The jobs service's next event still flows; it comes after the forgeries in the
        # stream, so once it is applied they have all been handled.
        await _jobs_call(
            jobs,
            f"/placements/{placement['id']}/confirmations",
            {"month": "2026-04", "wage_paid_fen": 180_000},
        )
        await wait_until(
            lambda: applications(subsidies, month="2026-04"), timeout=30, what="the real April"
        )
        apps = await applications(subsidies)
        assert sorted((a["beneficiary_id"], a["month"]) for a in apps) == [
            (worker["id"], "2026-03"),
            (worker["id"], "2026-04"),
        ]
        still = await get_app(subsidies, real["id"])
        assert still["state"] == "pending_verification"
        assert still["amount_fen"] == real["amount_fen"]
        # Every forgery was refused and kept as a dead letter.
        await wait_until(
            lambda: _dead_letters_reach(subsidies, forger.sent), timeout=30, what="dead letters"
        )
        assert forger.sent == 15


async def _dead_letters_reach(subsidies, n: int) -> bool:  # type: ignore[no-untyped-def]
    return await _dead_letters(subsidies) >= n
