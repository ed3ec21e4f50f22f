"""Re-evaluation: a program created (or widened) after the employment events applied, on
request, to the employment already known — exactly as the events would have applied it."""

from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from services.subsidies.audit import service as audit
from services.subsidies.eligibility import domain as rules
from services.subsidies.eligibility import repository as repo
from services.subsidies.eligibility import service
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
    grants: list[ReevaluatedGrant] = []
    refused: list[ReevaluationRefusal] = []

    async def evaluate_all() -> None:
        for placement in placements:
            months = rules.counted_months(
                await repo.confirmations_for(session, placement.placement_id)
            )
            if not months:
                continue
            made, refusals = await service.evaluate_program(session, program, placement, months)
            grants.extend(
                ReevaluatedGrant(
                    placement_id=placement.placement_id,
                    worker_id=placement.worker_id,
                    month=month,
                    amount_fen=program.amount_fen,
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

    if dry_run:
        try:
            async with session.begin_nested():
                await evaluate_all()
                raise _DryRun
        except _DryRun:
            pass
    else:
        await evaluate_all()
    total = sum(g.amount_fen for g in grants)
    if not dry_run:
        await audit.record(
            session,
            entity_type="program",
            entity_id=program.id,
            action="program.reevaluated",
            actor=actor,
            at=now,
            reason=f"{program.code} v{program.version} applied to the employment already known: "
            f"{len(grants)} grant(s), {total} fen, over {len(placements)} placement(s); "
            f"{len(refused)} refused by stacking, double-post or cap rules",
        )
        await session.flush()
    return ReevaluationResult(
        program_code=program.code,
        program_version=program.version,
        dry_run=dry_run,
        placements_evaluated=len(placements),
        grant_count=len(grants),
        total_fen=total,
        grants=grants,
        refused=refused,
    )
