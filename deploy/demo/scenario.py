"""A scenario (a TOML data file: targets, rule parameters, a seed) and the plan derived from it.

Pure: no I/O besides reading the file, no clock (``today`` is given). The plan is what the
player sends through the API; every published figure follows from it exactly:

* sales: each product gets a whole number of units whose grams sum to the tonnage target, and
  unit prices (``base`` and ``base + 1`` fen) whose sum is the revenue target, to the fen;
* labour: disjoint pools of registered-poor workers (Haizhu partners' hires, workshop
  employees, dedicated posts), each with its months confirmed in a row; stable employment is
  every placement with at least ``stable_months`` of them;
* subsidies: a program paid to an employer or workshop reaches its total through the
  per-beneficiary cap (``paid / beneficiaries``, a whole number of grants, each beneficiary
  having more grants due than the cap lets through); one paid to workers reaches it through
  the number of months confirmed (``paid / amount`` grants).

A target that cannot be met together with another is refused with :class:`ScenarioError`
naming both."""

import random
import tomllib
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

SCENARIOS = Path(__file__).parent / "scenarios"
POOLS = ("haizhu_partner", "workshop", "dedicated_post")


class ScenarioError(ValueError):
    """The scenario's targets contradict each other (or the service's limits)."""


@dataclass(frozen=True)
class Program:
    code: str
    name: str
    employer_kind: str
    beneficiary_kind: str
    amount_rule: str
    amount_fen: int
    required_months: int
    paid_fen: int
    notice_days: int
    cap_per_beneficiary_fen: int | None = None


@dataclass(frozen=True)
class Product:
    sku: str
    name: str
    category: str
    net_weight_grams: int
    units: int  # how many are sold in all
    base_price_fen: int  # (units - dearer) sold at this price
    dearer: int  # units sold at base_price_fen + 1


@dataclass(frozen=True)
class Placement:
    pool: str  # an employer kind
    employer: int  # index of the employer within its pool
    start_month: str  # YYYY-MM
    months: int  # consecutive months confirmed from start_month
    trained: bool


@dataclass
class Plan:
    name: str
    title: str
    seed: int
    targets: dict[str, int]
    stable_months: int
    months: list[str]  # the calendar, oldest first: all before today's month
    employers: dict[str, list[str]]  # pool -> names
    postings: list[tuple[int, int]]  # (partner index, openings)
    fairs: int
    trainings: int
    stores: list[tuple[str, str, bool]]  # name, kind, sells
    products: list[Product]
    programs: list[Program]
    placements: list[Placement] = field(default_factory=list)
    bank_failures: int = 2
    wage_fen: int = 380_000


def load(name_or_path: str, today: date) -> Plan:
    path = Path(name_or_path)
    if not path.suffix:
        path = SCENARIOS / f"{name_or_path}.toml"
    with path.open("rb") as fh:
        data = tomllib.load(fh)
    return derive(data, today, name=path.stem)


def _month(today: date, back: int) -> str:
    n = today.year * 12 + today.month - 1 - back
    return f"{n // 12:04d}-{n % 12 + 1:02d}"


def _need(data: dict[str, Any], section: str, key: str) -> Any:
    try:
        return data[section][key]
    except KeyError:
        raise ScenarioError(f"[{section}] {key} is missing") from None


def derive(data: dict[str, Any], today: date, *, name: str = "scenario") -> Plan:
    """The plan of a scenario, or :class:`ScenarioError` naming the targets in conflict."""
    rules = data.get("rules", {})
    rng = random.Random(int(data.get("seed", 0)))
    calendar_months = int(rules.get("calendar_months", 12))
    stable = int(rules.get("stable_months", 6))
    if calendar_months < stable:
        raise ScenarioError(
            f"rules.calendar_months {calendar_months} is shorter than rules.stable_months "
            f"{stable}: nobody could reach stable employment"
        )
    months = [_month(today, back) for back in range(calendar_months, 0, -1)]
    targets = {
        key: int(_need(data, "targets", key))
        for key in (
            "jobs_offered",
            "job_fairs",
            "training_sessions",
            "people_trained_poor",
            "stable_employment_poor",
            "workshops",
            "workshop_workers_poor",
            "stores",
            "grams",
            "revenue_fen",
        )
    }
    plan = Plan(
        name=name,
        title=str(data.get("title", name)),
        seed=int(data.get("seed", 0)),
        targets=targets,
        stable_months=stable,
        months=months,
        employers={},
        postings=[],
        fairs=targets["job_fairs"],
        trainings=targets["training_sessions"],
        stores=[],
        products=[],
        programs=[],
        bank_failures=int(rules.get("bank_failures", 2)),
        wage_fen=int(rules.get("monthly_wage_fen", 380_000)),
    )
    _stores(plan, data)
    _sales(plan, data)
    _labour(plan, data, rng)
    return plan


def _stores(plan: Plan, data: dict[str, Any]) -> None:
    stores = data.get("stores", [])
    if len(stores) != plan.targets["stores"]:
        raise ScenarioError(
            f"targets.stores {plan.targets['stores']} conflicts with the {len(stores)} "
            "[[stores]] listed"
        )
    plan.stores = [
        (s["name"], s.get("kind", "flagship_store"), s.get("sells", True)) for s in stores
    ]
    if (plan.targets["grams"] or plan.targets["revenue_fen"]) and not any(
        sells for *_, sells in plan.stores
    ):
        raise ScenarioError("targets.tonnes/revenue conflict with [[stores]]: none sells")


def _sales(plan: Plan, data: dict[str, Any]) -> None:
    """Units and prices per product: grams and fen sum to the targets exactly."""
    grams, fen = plan.targets["grams"], plan.targets["revenue_fen"]
    specs = data.get("products", [])
    if not specs:
        raise ScenarioError("[[products]] is empty: targets.tonnes cannot be sold")
    shares = [int(p["share"]) for p in specs]
    if sum(shares) != 100:
        raise ScenarioError(f"[[products]] shares add up to {sum(shares)}, not 100")
    left_g, left_f = grams, fen
    for i, (spec, share) in enumerate(zip(specs, shares, strict=True)):
        w = int(spec["net_weight_grams"])
        last = i == len(specs) - 1
        g = left_g if last else grams * share // 100 // w * w
        if g % w:
            raise ScenarioError(
                f"targets.tonnes ({grams} g) conflicts with the products' net weights: "
                f"{g} g are left for {spec['sku']}, not a multiple of its {w} g"
            )
        units = g // w
        f = left_f if last else fen * g // grams
        if units == 0:
            if f:
                raise ScenarioError(
                    f"targets.revenue conflicts with targets.tonnes: {spec['sku']} gets "
                    f"{f} fen and no unit to sell"
                )
            continue
        base, dearer = divmod(f, units)
        if base + 1 > 1_000_000_000:
            raise ScenarioError(
                f"targets.revenue / targets.tonnes: {spec['sku']} would cost {base} fen a "
                "unit, over the 10^9 fen a sale line may carry"
            )
        plan.products.append(
            Product(spec["sku"], spec["name"], spec["category"], w, units, base, dearer)
        )
        left_g, left_f = left_g - g, left_f - f


def _labour(plan: Plan, data: dict[str, Any], rng: random.Random) -> None:
    """Employers, postings, placements and programs (see the module's docstring)."""
    _employers(plan, data.get("employers", {}))
    pool_months = _pool_months(plan, data.get("rules", {}))
    programs = [_program(spec) for spec in data.get("programs", [])]
    people = _people(plan, programs, pool_months)
    for prog in programs:
        if prog.beneficiary_kind != "worker":
            _cap(plan, prog, people)
    plan.programs = [
        _with_cap(p, len(plan.employers[p.employer_kind])) if p.beneficiary_kind != "worker" else p
        for p in programs
    ]
    _place(plan, people, rng)
    _postings(plan)


def _employers(plan: Plan, counts: dict[str, Any]) -> None:
    """Partner organisations, one workshop per target, dedicated-post units (names optional)."""
    plan.employers = {
        "haizhu_partner": [
            f"Haizhu partner {i + 1}" for i in range(int(counts.get("partners", 1)))
        ],
        "workshop": [f"Weng'an workshop {i + 1}" for i in range(plan.targets["workshops"])],
        "dedicated_post": [
            f"Dedicated posts unit {i + 1}" for i in range(int(counts.get("post_units", 1)))
        ],
    }
    for pool, given in counts.get("names", {}).items():
        plan.employers[pool][: len(given)] = given[: len(plan.employers[pool])]


def _pool_months(plan: Plan, rules: dict[str, Any]) -> dict[str, int]:
    """The months confirmed per worker of each kind of employer."""
    pool_months = {
        "haizhu_partner": int(rules.get("partner_months", plan.stable_months)),
        "workshop": int(rules.get("workshop_months", plan.stable_months)),
        "dedicated_post": int(rules.get("post_months", 5)),
    }
    for pool, m in pool_months.items():
        if not 1 <= m <= len(plan.months):
            raise ScenarioError(f"rules: {pool} months {m} outside 1..calendar_months")
    return pool_months


def _people(
    plan: Plan, programs: list[Program], pool_months: dict[str, int]
) -> dict[str, list[int]]:
    """The registered-poor workers of each pool, as their months confirmed: workshops' from
    their target, dedicated posts' from their program's total, partners' the stable rest."""
    t = plan.targets
    people: dict[str, list[int]] = {pool: [] for pool in POOLS}
    if t["workshop_workers_poor"] and not t["workshops"]:
        raise ScenarioError("targets.workshop_workers_poor conflicts with targets.workshops = 0")
    people["workshop"] = [pool_months["workshop"]] * t["workshop_workers_poor"]
    by_kind = {p.employer_kind: p for p in programs}
    if len(by_kind) != len(programs):
        raise ScenarioError("[[programs]]: one program per employer kind")
    post = by_kind.get("dedicated_post")
    if post is not None:
        people["dedicated_post"] = _post_months(post, pool_months["dedicated_post"])
        if not plan.employers["dedicated_post"]:
            raise ScenarioError(
                "[[programs]] dedicated_post conflicts with employers.post_units = 0"
            )
    stable_elsewhere = sum(
        m >= plan.stable_months for pool in ("workshop", "dedicated_post") for m in people[pool]
    )
    partners_stable = t["stable_employment_poor"] - stable_elsewhere
    if partners_stable < 0:
        raise ScenarioError(
            f"targets.stable_employment_poor {t['stable_employment_poor']} conflicts with "
            f"targets.workshop_workers_poor and the dedicated-post program: {stable_elsewhere} "
            "of their workers already reach stable employment"
        )
    if pool_months["haizhu_partner"] < plan.stable_months and partners_stable:
        raise ScenarioError("rules.partner_months is below rules.stable_months")
    people["haizhu_partner"] = [pool_months["haizhu_partner"]] * partners_stable
    if partners_stable > t["jobs_offered"]:
        raise ScenarioError(
            f"targets.stable_employment_poor needs {partners_stable} hires by Haizhu partners, "
            f"more than targets.jobs_offered {t['jobs_offered']}"
        )
    return people


def _place(plan: Plan, people: dict[str, list[int]], rng: random.Random) -> None:
    """A placement per worker, starting in a month that leaves room for its months; the
    trained ones drawn at random."""
    t = plan.targets
    total_people = sum(len(v) for v in people.values())
    if t["people_trained_poor"] > total_people:
        raise ScenarioError(
            f"targets.people_trained_poor {t['people_trained_poor']} is more than the "
            f"{total_people} registered-poor workers the other targets place"
        )
    if t["people_trained_poor"] and not t["training_sessions"]:
        raise ScenarioError(
            "targets.people_trained_poor conflicts with targets.training_sessions = 0"
        )
    trained = set(rng.sample(range(total_people), t["people_trained_poor"]))
    n = 0
    for pool in POOLS:
        employers = len(plan.employers[pool]) or 1
        for i, m in enumerate(people[pool]):
            start = rng.randrange(0, len(plan.months) - m + 1)
            plan.placements.append(
                Placement(pool, i % employers, plan.months[start], m, n in trained)
            )
            n += 1


def _postings(plan: Plan) -> None:
    """The jobs offered, shared out over the partners; each must cover its hires."""
    t = plan.targets
    partners = len(plan.employers["haizhu_partner"])
    base, extra = divmod(t["jobs_offered"], partners)
    plan.postings = [(i, base + (i < extra)) for i in range(partners) if base + (i < extra)]
    hires = [0] * partners
    for p in plan.placements:
        if p.pool == "haizhu_partner":
            hires[p.employer] += 1
    for i, openings in plan.postings:
        if hires[i] > openings:
            raise ScenarioError(
                f"targets.jobs_offered {t['jobs_offered']} over {partners} partners leaves "
                f"{openings} openings to a partner that hires {hires[i]}"
            )


def _program(spec: dict[str, Any]) -> Program:
    amount = int(spec["amount_yuan"]) * 100
    paid = int(spec["paid_yuan"]) * 100
    if paid % amount:
        raise ScenarioError(
            f"program {spec['code']}: paid_yuan {spec['paid_yuan']} is not a multiple of "
            f"amount_yuan {spec['amount_yuan']}"
        )
    return Program(
        code=spec["code"],
        name=spec["name"],
        employer_kind=spec["employer_kind"],
        beneficiary_kind=spec.get("beneficiary_kind", "employer"),
        amount_rule=spec.get("amount_rule", "per_person_month"),
        amount_fen=amount,
        required_months=int(spec.get("required_months", 1)),
        paid_fen=paid,
        notice_days=int(spec.get("notice_days", 0)),
    )


def _grants(prog: Program, months: int) -> int:
    due = max(0, months - prog.required_months + 1)
    return min(due, 1) if prog.amount_rule == "one_off" else due


def _post_months(prog: Program, months: int) -> list[int]:
    """Workers on dedicated posts and their months: ``paid / amount`` grants exactly."""
    if prog.amount_rule == "one_off":
        raise ScenarioError(f"program {prog.code}: a worker's program here is per person-month")
    grants = prog.paid_fen // prog.amount_fen
    per = _grants(prog, months)
    if per < 1:
        raise ScenarioError(f"program {prog.code}: required_months above rules.post_months")
    full, rest = divmod(grants, per)
    return [months] * full + ([rest + prog.required_months - 1] if rest else [])


def _cap(plan: Plan, prog: Program, people: dict[str, list[int]]) -> None:
    """A program paid to employers: each of them reaches the same cap, a whole number of grants."""
    n = len(plan.employers[prog.employer_kind])
    if n == 0 or prog.paid_fen % n or (prog.paid_fen // n) % prog.amount_fen:
        raise ScenarioError(
            f"program {prog.code}: paid {prog.paid_fen // 100} yuan over {n} "
            f"{prog.employer_kind} employers is not a whole number of "
            f"{prog.amount_fen // 100}-yuan "
            "grants each"
        )
    cap_grants = prog.paid_fen // n // prog.amount_fen
    due = [0] * n
    for i, m in enumerate(people[prog.employer_kind]):
        due[i % n] += _grants(prog, m)
    if min(due) < cap_grants:
        raise ScenarioError(
            f"program {prog.code}: paid {prog.paid_fen // 100} yuan needs {cap_grants} grants per "
            f"{prog.employer_kind}, but the placements the labour targets make give one only "
            f"{min(due)}"
        )


def _with_cap(prog: Program, beneficiaries: int) -> Program:
    return Program(**{**prog.__dict__, "cap_per_beneficiary_fen": prog.paid_fen // beneficiaries})
