"""The scenario engine's derivation: every target met exactly, inconsistent targets refused with
the names of the targets in conflict."""

import copy
import tomllib
from datetime import date

import pytest

from deploy.demo.scenario import SCENARIOS, ScenarioError, derive, load

TODAY = date(2026, 12, 4)


def _data(name: str) -> dict:
    with (SCENARIOS / f"{name}.toml").open("rb") as fh:
        return tomllib.load(fh)


def _grants(prog, months: int) -> int:
    due = max(0, months - prog.required_months + 1)
    return min(due, 1) if prog.amount_rule == "one_off" else due


@pytest.mark.parametrize("name", sorted(p.stem for p in SCENARIOS.glob("*.toml")))
def test_every_shipped_scenario_is_exact(name):
    plan = load(name, TODAY)
    t = plan.targets
    assert sum(p.units * p.net_weight_grams for p in plan.products) == t["grams"]
    assert sum(p.units * p.base_price_fen + p.dearer for p in plan.products) == t["revenue_fen"]
    assert sum(openings for _, openings in plan.postings) == t["jobs_offered"]
    assert len(plan.stores) == t["stores"]
    assert sum(p.trained for p in plan.placements) == t["people_trained_poor"]
    assert (
        sum(p.months >= plan.stable_months for p in plan.placements) == t["stable_employment_poor"]
    )
    assert sum(p.pool == "workshop" for p in plan.placements) == t["workshop_workers_poor"]
    assert all(p.start_month in plan.months for p in plan.placements)
    assert max(plan.months) < f"{TODAY:%Y-%m}"  # months confirmable today: all in the past
    for prog in plan.programs:
        per_employer: dict[int, int] = {}
        for p in plan.placements:
            if p.pool == prog.employer_kind:
                per_employer[p.employer] = per_employer.get(p.employer, 0) + _grants(prog, p.months)
        if prog.cap_per_beneficiary_fen:  # paid to employers: each one's cap binds
            cap = prog.cap_per_beneficiary_fen
            assert cap % prog.amount_fen == 0
            assert min(per_employer.values()) * prog.amount_fen >= cap
            assert cap * len(per_employer) == prog.paid_fen
        else:  # paid to workers: the months confirmed make the total
            assert sum(per_employer.values()) * prog.amount_fen == prog.paid_fen


def test_the_published_figures_are_the_haizhu_scenario():
    plan = load("haizhu-wengan", TODAY)
    assert plan.targets == {
        "jobs_offered": 3000,
        "job_fairs": 9,
        "training_sessions": 39,
        "people_trained_poor": 1558,
        "stable_employment_poor": 2803,
        "workshops": 10,
        "workshop_workers_poor": 2171,
        "stores": 7,
        "grams": 36_100_000,
        "revenue_fen": 13_000_000_000,
    }
    assert [p.paid_fen for p in plan.programs] == [15_600_000, 34_000_000, 79_490_000]


def _refusal(change) -> str:
    data = copy.deepcopy(_data("haizhu-wengan"))
    change(data)
    with pytest.raises(ScenarioError) as info:
        derive(data, TODAY)
    return str(info.value)


def test_refusals_name_the_targets_in_conflict():
    def fewer_stable(d):
        d["targets"]["stable_employment_poor"] = 1000

    assert "stable_employment_poor" in _refusal(fewer_stable)
    assert "workshop_workers_poor" in _refusal(fewer_stable)

    def odd_tonnes(d):
        d["targets"]["grams"] = 36_100_010

    message = _refusal(odd_tonnes)
    assert "tonnes" in message and "net weights" in message

    def post_not_multiple(d):
        d["programs"][2]["amount_yuan"] = 500

    assert "paid_yuan 794900 is not a multiple of amount_yuan 500" in _refusal(post_not_multiple)

    def few_openings(d):
        d["targets"]["jobs_offered"] = 100

    message = _refusal(few_openings)
    assert "stable_employment_poor" in message and "jobs_offered 100" in message

    def too_many_trained(d):
        d["targets"]["people_trained_poor"] = 10_000

    assert "people_trained_poor 10000" in _refusal(too_many_trained)

    def stores_listed(d):
        d["targets"]["stores"] = 8

    assert "targets.stores 8 conflicts with the 7 [[stores]]" in _refusal(stores_listed)

    def cap_unreachable(d):
        d["programs"][1]["paid_yuan"] = 3_400_000

    message = _refusal(cap_unreachable)
    assert "wengan-workshop" in message and "grants per workshop" in message
