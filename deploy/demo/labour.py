"""Phase 2, labour cooperation: partners post jobs, the bureau registers workers, holds job
fairs and trainings and places workers in workshops and dedicated posts, partners hire on their
postings, and every placement is confirmed month by month (with a few corrections)."""

import asyncio
import random
from datetime import date, timedelta

from deploy.demo import people
from deploy.demo.client import Actor, Api, Bar, each
from deploy.demo.scenario import Placement, Plan
from deploy.demo.setup import World, valid_through

CATEGORIES = ("manufacturing", "logistics", "catering", "retail")


async def postings(api: Api, world: World, plan: Plan, today: date) -> None:
    async def post(item: tuple[int, int]) -> None:
        partner, openings = item
        key = world.partner_keys[partner]
        body = await api.json(
            key,
            "POST",
            "/v1/jobs/postings",
            json={
                "title": "普工 / 操作工 (瓮安专场)",
                "category": CATEGORIES[partner % len(CATEGORIES)],
                "employment_type": "full_time",
                "district": "海珠区",
                "salary_min_fen": 350_000,
                "salary_max_fen": 480_000,
                "openings": openings,
                "valid_through": valid_through(today),
            },
        )
        await api.call(key, "POST", f"/v1/jobs/postings/{body['id']}/publish")
        world.postings.append((partner, body["id"]))

    await each("postings (partners)", plan.postings, post)
    world.postings.sort()


async def workers(api: Api, world: World, plan: Plan, run: int) -> None:
    async def register(n: int) -> str:
        body = await api.json(
            world.clerk(n),
            "POST",
            "/v1/jobs/workers",
            json={
                "name": people.name(n),
                "national_id": people.national_id(run, n),
                "township": people.township(n),
                "poor_household": True,
                "skills": ["普工"],
            },
        )
        return str(body["id"])

    world.workers = await each("workers (bureau)", list(range(len(plan.placements))), register)


def _day(month: str, day: int) -> date:
    return date.fromisoformat(f"{month}-{day:02d}")


async def fairs_and_trainings(api: Api, world: World, plan: Plan) -> None:
    rng = random.Random(plan.seed + 1)
    clerk = world.clerk(0)
    fair_ids = []
    for i in range(plan.fairs):
        month = plan.months[i * len(plan.months) // max(plan.fairs, 1)]
        body = await api.json(
            clerk,
            "POST",
            "/v1/jobs/job-fairs",
            json={
                "name": f"海珠—瓮安劳务协作招聘会 第{i + 1}场",
                "held_on": _day(month, 15).isoformat(),
                "location": "瓮安县人力资源市场",
                "township": people.township(i),
            },
        )
        fair_ids.append(body["id"])
        for partner in world.employers["haizhu_partner"][:3]:
            await api.call(
                clerk,
                "POST",
                f"/v1/jobs/job-fairs/{body['id']}/employers",
                json={"employer_id": partner},
            )
    attendees = rng.sample(range(len(world.workers)), min(len(world.workers), 20 * plan.fairs))

    async def attend(n: int) -> None:
        fair = fair_ids[n % len(fair_ids)]
        await api.call(
            world.clerk(n),
            "POST",
            f"/v1/jobs/job-fairs/{fair}/attendees",
            json={"worker_id": world.workers[n]},
        )

    if fair_ids:
        await each("job fairs: attendance", attendees, attend)
    await _trainings(api, world, plan)


async def _trainings(api: Api, world: World, plan: Plan) -> None:
    sessions = []
    for i in range(plan.trainings):
        month = plan.months[i * len(plan.months) // max(plan.trainings, 1)]
        starts = _day(month, 3)
        body = await api.json(
            world.clerk(0),
            "POST",
            "/v1/jobs/trainings",
            json={
                "title": f"劳动力技能培训 第{i + 1}期",
                "topic": ("电子装配", "家政服务", "茶叶加工", "电工")[i % 4],
                "provider": "海珠区人社局",
                "starts_on": starts.isoformat(),
                "ends_on": (starts + timedelta(days=9)).isoformat(),
                "location": "瓮安县职业技术学校",
                "township": people.township(i),
            },
        )
        sessions.append((body["id"], (starts + timedelta(days=9)).isoformat()))
    trained = [n for n, p in enumerate(plan.placements) if p.trained]

    async def train(n: int) -> None:
        session, ends = sessions[n % len(sessions)]
        clerk, worker = world.clerk(n), {"worker_id": world.workers[n]}
        await api.call(clerk, "POST", f"/v1/jobs/trainings/{session}/attendees", json=worker)
        await api.call(
            clerk,
            "POST",
            f"/v1/jobs/trainings/{session}/completions",
            json=worker | {"completed_on": ends},
        )

    await each("trainings: attendance, completion", trained, train, weight=1)


async def placements(api: Api, world: World, plan: Plan) -> None:
    postings = dict(world.postings)

    async def hire(n: int) -> str:
        p: Placement = plan.placements[n]
        body = {
            "worker_id": world.workers[n],
            "start_date": f"{p.start_month}-01",
            "monthly_wage_fen": plan.wage_fen,
        }
        if p.pool == "haizhu_partner":
            actor = world.partner_keys[p.employer]
            body["posting_id"] = postings[p.employer]
        else:
            actor = world.clerk(n)
            body["employer_id"] = world.employers[p.pool][p.employer]
        r = await api.json(
            actor, "POST", "/v1/jobs/placements", key=f"hire-{world.tag}-{n}", json=body
        )
        return str(r["id"])

    world.placements = await each("placements", list(range(len(plan.placements))), hire)


BATCH_LINES = 1000  # the jobs service's JOBS_CONFIRMATION_BATCH_MAX_LINES


Payroll = tuple[Actor, dict[str, list[tuple[int, int]]]]  # who, month -> (placement, wage)


def _payrolls(world: World, plan: Plan, corrected: set[int]) -> list[Payroll]:
    """Each confirming actor's lines per month; the first month of a corrected placement is
    sent with a wrong wage."""
    payrolls: dict[str, Payroll] = {}
    for n, p in enumerate(plan.placements):
        actor = world.partner_keys[p.employer] if p.pool == "haizhu_partner" else world.clerk(n)
        months = payrolls.setdefault(actor.name, (actor, {}))[1]
        first = plan.months.index(p.start_month)
        for k, month in enumerate(plan.months[first : first + p.months]):
            wage = plan.wage_fen - 50_000 if n in corrected and k == 0 else plan.wage_fen
            months.setdefault(month, []).append((n, wage))
    return list(payrolls.values())


async def confirmations(api: Api, world: World, plan: Plan) -> int:
    """Every placement's months, as payroll months: each partner (and each bureau clerk for
    the workshops and dedicated posts it looks after) confirms a month for all its workers in
    one batch, month after month. A few first confirm a wrong wage and then correct it one by
    one (the wage stays paid, so no grant is withdrawn). Returns the corrections."""
    corrected = set(
        random.Random(plan.seed + 2).sample(
            range(len(plan.placements)), min(5, len(plan.placements))
        )
    )
    bar = Bar("monthly confirmations (batches)", sum(p.months for p in plan.placements))
    wrong: list[tuple[Actor, int, str, str]] = []  # actor, placement, month, record id

    async def payroll(who: int, item: Payroll) -> None:
        actor, months = item
        for month in sorted(months):
            lines = months[month]
            for i in range(0, len(lines), BATCH_LINES):
                chunk = lines[i : i + BATCH_LINES]
                body = await api.json(
                    actor,
                    "POST",
                    "/v1/jobs/placements/confirmations:batch",
                    key=f"payroll-{world.tag}-{who}-{month}-{i}",
                    json={
                        "confirmations": [
                            {
                                "placement_id": world.placements[n],
                                "month": month,
                                "wage_paid_fen": w,
                            }
                            for n, w in chunk
                        ]
                    },
                )
                for (n, wage), record in zip(chunk, body["items"], strict=True):
                    if wage != plan.wage_fen:
                        wrong.append((actor, n, month, record["id"]))
                bar.advance(len(chunk))

    payrolls = _payrolls(world, plan, corrected)
    await asyncio.gather(*(payroll(who, item) for who, item in enumerate(payrolls)))
    bar.finish()
    await each("confirmations corrected", wrong, lambda item: _correct(api, world, plan, item))
    return len(wrong)


async def _correct(api: Api, world: World, plan: Plan, item: tuple[Actor, int, str, str]) -> None:
    """The payslip shows the wage confirmed was wrong: a correction naming the record."""
    actor, n, month, record = item
    await api.call(
        actor,
        "POST",
        f"/v1/jobs/placements/{world.placements[n]}/confirmations",
        key=f"fix-{world.placements[n]}-{month}",
        json={
            "month": month,
            "wage_paid_fen": plan.wage_fen,
            "corrects": record,
            "note": "工资录入错误，按工资条更正",
        },
    )
