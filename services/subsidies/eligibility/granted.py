"""What is already granted around one placement, as the refusal rules of ``eligibility.domain``
look at it: read in a few set-based queries and kept current, in memory, as the evaluation adds
grants in the same transaction.

Evaluating a placement used to ask the database about every due month of every program, one
or more queries per question (a line with this key? the worker's live grants of the program?
a live grant on the placement that may not be stacked? another dedicated post that month? the
beneficiary's total?), so a placement's events grew dearer as it aged. Here, per evaluation:
one query for the line keys of all due months, one for the live lines of the worker and the
placement, and one per (program, beneficiary) with a cap per beneficiary. The answers are the
same: it reads the same rows under the same lock (the audit chain's, taken first by every
writer), and :meth:`Ledger.note` adds each grant made as the database would then show it.
"""

import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from sqlalchemy.ext.asyncio import AsyncSession

from services.subsidies.eligibility import domain as rules
from services.subsidies.eligibility import repository as repo
from services.subsidies.eligibility.repository import LiveLine
from services.subsidies.eligibility.tables import Placement
from services.subsidies.programs.tables import Program


@dataclass
class Ledger:
    """The grants one evaluation of ``placement`` reasons about. ``programs`` are the current
    programs (all kinds: a program of another kind may still refuse stacking with this one)."""

    placement: Placement
    programs: Sequence[Program]
    _keys_known: set[tuple[str, str]] = field(default_factory=set)
    _keys_taken: set[tuple[str, str]] = field(default_factory=set)
    _live: list[LiveLine] | None = None
    _beneficiary_fen: dict[tuple[str, uuid.UUID], int] = field(default_factory=dict)

    async def learn_keys(self, session: AsyncSession, pairs: Iterable[tuple[str, str]]) -> None:
        """Find out, in one query, which of these (program code, line key) already have a line
        (live or not: a key is granted once, whatever became of its application)."""
        unknown = set(pairs) - self._keys_known
        if unknown:
            self._keys_taken |= await repo.existing_line_keys(session, unknown)
            self._keys_known |= unknown

    async def has_line(self, session: AsyncSession, program_code: str, key: str) -> bool:
        await self.learn_keys(session, [(program_code, key)])
        return (program_code, key) in self._keys_taken

    async def granted(
        self,
        session: AsyncSession,
        program: Program,
        month: str,
        key: str,
        beneficiary: uuid.UUID,
    ) -> rules.Granted:
        """What is already granted that the refusal rules look at, for one candidate grant."""
        placement = self.placement
        if self._live is None:
            self._live = list(
                await repo.live_lines_around(session, placement.worker_id, placement.placement_id)
            )
        conflicting = rules.conflicting_codes(
            program.not_stackable_with,
            {p.code for p in self.programs if program.code in (p.not_stackable_with or [])},
        )
        worker = [ln for ln in self._live if ln.worker_id == placement.worker_id]
        own = [ln for ln in worker if ln.program_code == program.code]
        stacked = sorted(
            {
                ln.program_code
                for ln in self._live
                if ln.placement_id == placement.placement_id and ln.program_code in conflicting
            }
        )
        return rules.Granted(
            already=await self.has_line(session, program.code, key),
            stacked_with=stacked[0] if stacked else None,
            other_post_in_month=placement.employer_kind == "dedicated_post"
            and any(
                ln.month == month
                and ln.employer_kind == "dedicated_post"
                and ln.placement_id != placement.placement_id
                for ln in worker
            ),
            worker_months=len(own),
            worker_fen=sum(ln.amount_fen for ln in own),
            beneficiary_fen=(
                await self._beneficiary_total(session, program.code, beneficiary)
                if program.cap_per_beneficiary_fen is not None
                else 0
            ),
        )

    async def _beneficiary_total(
        self, session: AsyncSession, program_code: str, beneficiary: uuid.UUID
    ) -> int:
        known = self._beneficiary_fen
        if (program_code, beneficiary) not in known:
            total = await repo.live_total_for_beneficiary(session, program_code, beneficiary)
            known[program_code, beneficiary] = total
        return known[program_code, beneficiary]

    def note(
        self, program: Program, key: str, month: str, beneficiary: uuid.UUID, amount_fen: int
    ) -> None:
        """A grant was just added (a line in a live application): count it from now on."""
        placement = self.placement
        self._keys_known.add((program.code, key))
        self._keys_taken.add((program.code, key))
        if self._live is not None:
            self._live.append(
                LiveLine(
                    program_code=program.code,
                    worker_id=placement.worker_id,
                    placement_id=placement.placement_id,
                    employer_kind=placement.employer_kind,
                    month=month,
                    amount_fen=amount_fen,
                )
            )
        if (program.code, beneficiary) in self._beneficiary_fen:
            self._beneficiary_fen[program.code, beneficiary] += amount_fen
