"""What the consumer of jobs events costs per event does not grow as a placement ages.

Every event of a placement re-evaluates all its due months (a month refused for a cap or by
stacking may be granted once a grant it counted is withdrawn); that used to cost queries per
due month per program, so a placement's twelfth month cost three times its third. Counted in
statements (never timed), on each database, through the real consumer."""

import uuid

from sqlalchemy import func, select

from services.subsidies.consumers import jobs_events
from services.subsidies.review.tables import ApplicationLine
from tests.subsidies.factories import create_fund, create_program
from tests.support.consumer_bench import message
from tests.support.queries import count_queries

WAGE = {
    "code": "a-wage-capped",
    "name": "Wage subsidy, two months at most",
    "employer_kind": "haizhu_partner",
    "beneficiary_kind": "worker",
    "amount_rule": "per_person_month",
    "amount_fen": 50_000,
    "required_months": 1,
    "cap_months": 2,
    "poor_only": True,
    "valid_from": "2020-01-01",
}
EMPLOYER = WAGE | {
    "code": "b-employer-monthly",
    "name": "Employer's monthly grant, not with the wage subsidy",
    "beneficiary_kind": "employer",
    "cap_months": None,
    "not_stackable_with": ["a-wage-capped"],
}


async def test_statements_per_month_stay_flat_as_refused_months_pile_up(svc):
    fund = await create_fund(svc)
    await create_program(svc, WAGE, fund["id"])
    await create_program(svc, EMPLOYER, fund["id"])
    runner, ns = svc.runtime.consumers, svc.runtime.settings.event_namespace
    placement = {
        "placement_id": str(uuid.uuid4()),
        "worker_id": str(uuid.uuid4()),
        "employer_id": str(uuid.uuid4()),
        "employer_kind": "haizhu_partner",
        "poor_household": True,
        "township": "Yongyang",
        "start_date": "2020-01-01",
        "monthly_wage_fen": 350_000,
    }
    msgs = [message("jobs.placement.started", placement, 0, ns)]
    msgs += [
        message(
            "jobs.placement.month_confirmed",
            {
                "confirmation_id": str(uuid.uuid4()),
                "placement_id": placement["placement_id"],
                "worker_id": placement["worker_id"],
                "month": f"2020-{m:02d}",
                "wage_paid_fen": 350_000,
            },
            m,
            ns,
        )
        for m in range(1, 13)
    ]
    statements = []
    for msg in msgs:
        with count_queries(svc.runtime.engine) as counted:
            await runner.handle(jobs_events, msg)
        statements.append(counted.n)
    assert [m.outcome for m in msgs] == [["ack"]] * len(msgs)
    async with svc.sessionmaker() as s:
        lines = (await s.execute(select(ApplicationLine.program_code, func.count()).group_by(
            ApplicationLine.program_code))).all()  # fmt: skip
    # Months 1 and 2 granted (programs are evaluated by code, so the employer's grant is
    # refused by stacking), then the cap:
    # from month 3 on every event refuses all its months again, at the same cost.
    assert dict(lines) == {"a-wage-capped": 2}
    refusing = statements[3:]
    assert refusing == [refusing[0]] * len(refusing), statements
