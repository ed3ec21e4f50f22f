"""Re-evaluation: a program created (or widened) after the employment events applied, on
request, to the employment already known — exactly as the events would have applied it."""

from collections.abc import Awaitable, Callable
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from services.subsidies.audit import service as audit
from services.subsidies.eligibility import domain as rules
from services.subsidies.eligibility import repository as repo
from services.subsidies.eligibility import service
from services.subsidies.eligibility.tables import Placement
from services.subsidies.programs.schemas import (
    ReevaluatedGrant,
    ReevaluationRefusal,
    ReevaluationResult,
)
from services.subsidies.programs.tables import Program


class _DryRun(Exception):
    """Raised to roll a dry run's savepoint back."""


async def reevaluate_program(
    session: AsyncSession, program: Program, *, dry_run: bool, actor: str, now: datetime
) -> ReevaluationResult:
    """Apply one program to the employment already known, exactly as the events would have if
    the program had existed when they arrived: same rules, same line keys (so running it again,
    or the events arriving again, grants nothing twice). A dry run makes the same grants in a
    savepoint and rolls it back, so it reports what stacking and caps would really allow."""
    await audit.serialize(session)  # for the whole transaction, not the dry run's savepoint
    placements = list(await repo.placements_of_kind(session, program.employer_kind))
    if dry_run:
        grants, refused = await _rolled_back(
            session, lambda: _evaluate_all(session, program, placements, dry_run=True)
        )
    else:
        grants, refused = await _evaluate_all(session, program, placements, dry_run=False)
    result = ReevaluationResult(
        program_code=program.code,
        program_version=program.version,
        dry_run=dry_run,
        placements_evaluated=len(placements),
        grant_count=len(grants),
        total_fen=sum(g.amount_fen for g in grants),
        grants=grants,
        refused=refused,
    )
    if not dry_run:
        await _record(session, program, result, actor=actor, now=now)
    return result


Evaluated = tuple[list[ReevaluatedGrant], list[ReevaluationRefusal]]


async def _evaluate_all(
    session: AsyncSession, program: Program, placements: list[Placement], *, dry_run: bool
) -> Evaluated:
    """Grant what the program gives each placement's counted months, as the events would."""
    grants: list[ReevaluatedGrant] = []
    refused: list[ReevaluationRefusal] = []
    for placement in placements:
        months = rules.counted_months(await repo.confirmations_for(session, placement.placement_id))
        if not months:
            continue
        made, refusals = await service.evaluate_program(session, program, placement, months)
        grants.extend(
            ReevaluatedGrant(
                placement_id=placement.placement_id,
                worker_id=placement.worker_id,
                month=month,
                amount_fen=rules.grant_amount(program),
                beneficiary_kind=app.beneficiary_kind,
                beneficiary_id=app.beneficiary_id,
                application_id=None if dry_run else app.id,
            )
            for month, app in made
        )
        refused.extend(
            ReevaluationRefusal(placement_id=placement.placement_id, month=month, reason=why)
            for month, why in refusals
        )
    return grants, refused


async def _rolled_back(
    session: AsyncSession, work: Callable[[], Awaitable[Evaluated]]
) -> Evaluated:
    """What ``work`` found, with everything it wrote rolled back (a dry run's savepoint)."""
    found: Evaluated = ([], [])
    try:
        async with session.begin_nested():
            found = await work()
            raise _DryRun
    except _DryRun:
        pass
    return found


async def _record(
    session: AsyncSession,
    program: Program,
    result: ReevaluationResult,
    *,
    actor: str,
    now: datetime,
) -> None:
    """A re-evaluation that granted is on record: who ran it and its totals."""
    await audit.record(
        session,
        entity_type="program",
        entity_id=program.id,
        action="program.reevaluated",
        actor=actor,
        at=now,
        reason=f"{program.code} v{program.version} applied to the employment already known: "
        f"{result.grant_count} grant(s), {result.total_fen} fen, over "
        f"{result.placements_evaluated} placement(s); {len(result.refused)} refused by "
        "stacking, double-post or cap rules",
    )
    await session.flush()
