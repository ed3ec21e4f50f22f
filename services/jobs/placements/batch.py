"""Monthly confirmations in batches: a partner confirms a month's payroll for many workers in
one request (or the bureau its workshops' and dedicated posts' months).

All or nothing: every line follows the rules of a single confirmation, checked in the order
given against what is recorded and what the earlier lines make; the first line that breaks one
refuses the whole batch with that rule's own problem, naming the line, and nothing is recorded.
The placements are locked once, in id order, their records read in one query, the records and
their events (one ``jobs.placement.month_confirmed`` per line) written in one statement each.
Never commits."""

from datetime import date

from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from services.jobs.errors import PlacementNotFound
from services.jobs.placements import repository as repo
from services.jobs.placements import service
from services.jobs.placements.schemas import ConfirmationLine
from services.jobs.placements.tables import Confirmation
from shared.errors import AppError, Conflict, PayloadTooLarge
from shared.events import add_events
from shared.identity import Identity


class TooManyLines(PayloadTooLarge):
    code = "too-many-lines"
    title = "Too many lines in the batch"

    def __init__(self, lines: int, max_lines: int) -> None:
        super().__init__(
            f"The batch has {lines} lines; at most {max_lines} are taken in one request. "
            f"Send line {max_lines + 1} and the following ones in another batch.",
            line=max_lines + 1,
            max_lines=max_lines,
        )


def _at_line(exc: AppError, n: int, line: ConfirmationLine) -> AppError:
    """The rule's own problem, with the line that broke it (1 is the first)."""
    exc.detail = f"Line {n} (placement {line.placement_id}, {line.month}): {exc.detail}"
    exc.extensions = {"line": n, "placement_id": str(line.placement_id)} | exc.extensions
    return exc


async def confirm_months(
    session: AsyncSession,
    lines: list[ConfirmationLine],
    actor: Identity,
    today: date,
    *,
    max_lines: int,
) -> list[Confirmation]:
    if len(lines) > max_lines:
        raise TooManyLines(len(lines), max_lines)
    placements = await repo.lock_placements(session, [line.placement_id for line in lines])
    current = await repo.current_confirmations(session, list(placements))
    made: list[Confirmation] = []
    for n, line in enumerate(lines, start=1):
        try:
            placement = placements.get(line.placement_id)
            if placement is None:
                raise PlacementNotFound(line.placement_id)
            service.ensure_can_record(placement, actor)
            record = await service.new_confirmation(
                session, placement, line, actor, today, current[placement.id]
            )
        except AppError as exc:
            raise _at_line(exc, n, line) from None
        current[placement.id][line.month] = record
        made.append(record)
    try:
        async with session.begin_nested():
            session.add_all(made)
            await session.flush()
    except IntegrityError:
        raise Conflict(
            "Some of these months were confirmed or corrected by another request at the same "
            "time; reload the placements and send the batch again."
        ) from None
    await add_events(
        session, [service.month_confirmed(placements[c.placement_id], c) for c in made]
    )
    return made
