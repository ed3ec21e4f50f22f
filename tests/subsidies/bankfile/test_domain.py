"""The bank result parser (bankfile/domain.py) over generated files, without a database."""

import uuid

import pytest
from hypothesis import given
from hypothesis import strategies as st

from services.subsidies.bankfile.domain import (
    RESULT_COLUMNS,
    ResultLine,
    Settled,
    conflicts,
    parse_results,
)
from services.subsidies.errors import BankFileInvalid

HEADER = ",".join(RESULT_COLUMNS)

batches = st.dictionaries(st.uuids(), st.integers(1, 10**12), min_size=1, max_size=20)


def render(rows: list[tuple[uuid.UUID, str, int]]) -> bytes:
    lines = [HEADER]
    for n, (line_id, status, amount) in enumerate(rows):
        ref, why = (f"BANK-{n}", "") if status == "paid" else ("", "account closed")
        lines.append(f"{line_id},{status},{amount},{ref},{why}")
    return ("\n".join(lines) + "\n").encode()


class TestParse:
    @given(batch=batches, data=st.data())
    def test_paid_and_failed_lines_equal_the_batch(
        self, batch: dict[uuid.UUID, int], data: st.DataObject
    ) -> None:
        ids = data.draw(st.permutations(sorted(batch)))
        rows = [(i, data.draw(st.sampled_from(["paid", "failed"])), batch[i]) for i in ids]
        parsed = parse_results(render(rows), batch)
        paid = [r for r in parsed if r.status == "paid"]
        failed = [r for r in parsed if r.status == "failed"]
        assert len(paid) + len(failed) == len(batch)
        assert {r.line_id for r in parsed} == set(batch)
        assert sum(batch[r.line_id] for r in parsed) == sum(batch.values())

    @given(batch=batches, data=st.data())
    def test_a_wrong_amount_refuses_the_whole_file(
        self, batch: dict[uuid.UUID, int], data: st.DataObject
    ) -> None:
        ids = sorted(batch)
        wrong = data.draw(st.sampled_from(ids))
        rows = [(i, "paid", batch[i] + (1 if i == wrong else 0)) for i in ids]
        with pytest.raises(BankFileInvalid) as refused:
            parse_results(render(rows), batch)
        assert [p["line"] for p in refused.value.extensions["problems"]] == [ids.index(wrong) + 2]

    @given(batch=batches)
    def test_a_line_given_twice_is_refused(self, batch: dict[uuid.UUID, int]) -> None:
        first = sorted(batch)[0]
        rows = [(first, "paid", batch[first]), (first, "paid", batch[first])]
        with pytest.raises(BankFileInvalid) as refused:
            parse_results(render(rows), batch)
        assert "already given on line 2" in str(refused.value.extensions["problems"])

    @given(text=st.text(max_size=300))
    def test_any_text_is_lines_or_a_422(self, text: str) -> None:
        sent = {uuid.UUID(int=1): 100}
        try:
            parsed = parse_results(text.encode(), sent)
        except BankFileInvalid:
            return
        assert all(r.line_id in sent for r in parsed)

    def test_unicode_digits_are_not_amounts(self) -> None:
        line = uuid.UUID(int=7)
        raw = f"{HEADER}\n{line},paid,٢,REF,\n".encode()
        with pytest.raises(BankFileInvalid):
            parse_results(raw, {line: 2})


class TestConflicts:
    @given(
        status=st.sampled_from(["paid", "failed"]),
        before=st.sampled_from(["pending", "paid", "failed"]),
        same=st.booleans(),
    )
    def test_only_a_different_result_for_a_settled_line_conflicts(
        self, status: str, before: str, same: bool
    ) -> None:
        line = uuid.UUID(int=3)
        ref = "R1" if status == "paid" else None
        why = "closed" if status == "failed" else None
        item = ResultLine(line, 2, "paid" if status == "paid" else "failed", ref, why)
        if before == "pending":
            now = Settled("pending")
        elif same:
            now = Settled(status, ref, why)
        else:
            now = Settled(before, "R2" if before == "paid" else None, "other")
        found = conflicts([item], {line: now})
        assert bool(found) == (before != "pending" and not same)
