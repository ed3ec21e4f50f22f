"""The eligibility rules (eligibility/domain.py) as properties over made-up employment."""

import uuid
from dataclasses import dataclass, field
from datetime import date

from hypothesis import given
from hypothesis import strategies as st

from services.subsidies.eligibility import domain as rules


@dataclass(frozen=True)
class Conf:
    month: str
    wage_paid_fen: int
    superseded: bool = False
    confirmation_id: uuid.UUID = field(default_factory=uuid.uuid4)


@dataclass(frozen=True)
class Rule:
    code: str = "p"
    version: int = 1
    employer_kind: str = "haizhu_partner"
    beneficiary_kind: str = "employer"
    amount_rule: str = "per_person_month"
    amount_fen: int = 100
    required_months: int = 1
    cap_months: int | None = None
    cap_per_person_fen: int | None = None
    cap_per_beneficiary_fen: int | None = None
    poor_only: bool = False
    valid_from: date = date(2019, 1, 1)
    valid_until: date | None = None
    not_stackable_with: tuple[str, ...] = ()


@dataclass(frozen=True)
class Job:
    placement_id: uuid.UUID = field(default_factory=uuid.uuid4)
    worker_id: uuid.UUID = field(default_factory=uuid.uuid4)
    employer_id: uuid.UUID = field(default_factory=uuid.uuid4)
    employer_kind: str = "haizhu_partner"
    poor_household: bool = True
    start_date: date = date(2020, 1, 1)
    end_date: date | None = None


MONTHS = [f"2020-{m:02d}" for m in range(1, 13)] + [f"2021-{m:02d}" for m in range(1, 7)]
confirmations = st.lists(
    st.builds(
        Conf,
        month=st.sampled_from(MONTHS),
        wage_paid_fen=st.sampled_from([0, 0, 150_000, 300_000]),
        superseded=st.booleans(),
    ),
    max_size=30,
)
rules_ = st.builds(
    Rule,
    amount_rule=st.sampled_from(["one_off", "per_person_month"]),
    required_months=st.integers(1, 6),
    poor_only=st.booleans(),
    valid_from=st.sampled_from([date(2019, 1, 1), date(2020, 4, 1)]),
    valid_until=st.sampled_from([None, date(2020, 10, 31)]),
)


class TestDueMonths:
    @given(rule=rules_, confs=confirmations, poor=st.booleans())
    def test_a_grant_ends_a_confirmed_paid_run_of_the_required_length(
        self, rule: Rule, confs: list[Conf], poor: bool
    ) -> None:
        job = Job(poor_household=poor)
        counted = rules.counted_months(confs)
        for month in rules.due_months(rule, job, counted):
            for k in range(rule.required_months):
                earlier = rules.month_add(month, -k)
                standing = [c for c in confs if c.month == earlier and not c.superseded]
                assert standing and any(c.wage_paid_fen > 0 for c in standing)
            assert rules.within_validity(rule, month)
            assert poor or not rule.poor_only

    @given(rule=rules_, confs=confirmations)
    def test_one_off_is_due_at_most_once(self, rule: Rule, confs: list[Conf]) -> None:
        due = rules.due_months(rule, Job(), rules.counted_months(confs))
        if rule.amount_rule == "one_off":
            assert len(due) <= 1
        assert len({rules.line_key(rule, Job(), m) for m in due}) == len(due) or (
            rule.amount_rule == "one_off"
        )


class TestStacking:
    @given(
        codes=st.lists(st.sampled_from("abcd"), min_size=1, max_size=12),
        forbidden=st.sets(st.tuples(st.sampled_from("abcd"), st.sampled_from("abcd"))),
        months=st.lists(st.sampled_from(MONTHS[:6]), min_size=1, max_size=12),
    )
    def test_no_person_gets_two_stacked_subsidies_for_one_job(
        self, codes: list[str], forbidden: set[tuple[str, str]], months: list[str]
    ) -> None:
        """Grants tried in any order, as the service does (refusal first, then the grant):
        the granted programs of one placement never include a pair that may not stack."""
        programs = {
            c: Rule(code=c, not_stackable_with=tuple(b for a, b in forbidden if a == c and b != c))
            for c in "abcd"
        }
        job = Job()
        granted: list[tuple[str, str]] = []  # (code, line key)
        for code, month in zip(codes, months * len(codes), strict=False):
            rule = programs[code]
            listing_it = {c for c, p in programs.items() if code in p.not_stackable_with}
            conflicting = rules.conflicting_codes(rule.not_stackable_with, listing_it)
            key = rules.line_key(rule, job, month)
            facts = rules.Granted(
                already=(code, key) in granted,
                stacked_with=next((c for c, _ in granted if c in conflicting), None),
            )
            if rules.refusal(rule, job, month, facts) is None:
                granted.append((code, key))
        held = {c for c, _ in granted}
        for a, b in forbidden:
            if a != b:
                assert not {a, b} <= held
        assert len(set(granted)) == len(granted)


class TestCaps:
    @given(cap=st.integers(0, 5), tries=st.integers(0, 10))
    def test_never_more_months_than_the_cap(self, cap: int, tries: int) -> None:
        rule = Rule(cap_months=cap)
        made = 0
        for m in MONTHS[:tries]:
            if rules.refusal(rule, Job(), m, rules.Granted(worker_months=made)) is None:
                made += 1
        assert made == min(cap, tries)

    @given(cap=st.integers(0, 1000), amount=st.integers(1, 300), tries=st.integers(0, 12))
    def test_never_more_money_than_the_cap(self, cap: int, amount: int, tries: int) -> None:
        rule = Rule(amount_fen=amount, cap_per_person_fen=cap, cap_per_beneficiary_fen=cap)
        total = 0
        for m in MONTHS[:tries]:
            facts = rules.Granted(worker_fen=total, beneficiary_fen=total)
            if rules.refusal(rule, Job(), m, facts) is None:
                total += amount
        assert total <= cap

    def test_double_post_only_for_dedicated_posts(self) -> None:
        facts = rules.Granted(other_post_in_month=True)
        assert rules.refusal(Rule(), Job(employer_kind="dedicated_post"), "2020-03", facts)
        assert rules.refusal(Rule(), Job(), "2020-03", facts) is None


class TestWithdrawal:
    @given(rule=rules_, confs=confirmations, data=st.data())
    def test_a_grant_stands_exactly_while_its_rule_is_met(
        self, rule: Rule, confs: list[Conf], data: st.DataObject
    ) -> None:
        job = Job(poor_household=True)
        before = rules.counted_months(confs)
        due = rules.due_months(rule, job, before)
        if not due:
            return
        lost = set(data.draw(st.lists(st.sampled_from(sorted(before)), max_size=3)))
        after = [m for m in before if m not in lost]
        for month in due:
            missing = rules.unsupported(rule, month, after, lost)
            still_due = rules.due_months(rule, job, after)
            if rule.amount_rule == "one_off":
                assert bool(missing) == (not still_due)
            else:
                assert bool(missing) == (month not in still_due)


class TestManual:
    def test_month_not_worked_is_refused_with_the_months_known(self) -> None:
        confs = [Conf("2020-02", 100), Conf("2020-03", 0)]
        why = rules.manual_refusal(Rule(), Job(), "2020-03", rules.counted_months(confs))
        assert why is not None and "not confirmed as worked" in why and "2020-02" in why

    def test_run_too_short(self) -> None:
        confs = [Conf("2020-02", 100), Conf("2020-03", 100)]
        why = rules.manual_refusal(
            Rule(required_months=3), Job(), "2020-03", rules.counted_months(confs)
        )
        assert why is not None and "needs 3 consecutive months" in why

    def test_month_ending_a_run_is_allowed(self) -> None:
        confs = [Conf("2020-02", 100), Conf("2020-03", 100)]
        assert (
            rules.manual_refusal(
                Rule(required_months=2), Job(), "2020-03", rules.counted_months(confs)
            )
            is None
        )
