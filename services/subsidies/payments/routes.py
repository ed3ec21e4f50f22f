"""Routes of the subsidies service's payments feature."""

import uuid
from collections.abc import Sequence
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, status
from fastapi.responses import Response
from sqlalchemy.ext.asyncio import AsyncSession

from services.subsidies.dependencies import BatchDep
from services.subsidies.payees import service as payees_service
from services.subsidies.payees.tables import Payee
from services.subsidies.payments import repository as repo
from services.subsidies.payments import service
from services.subsidies.payments.domain import AmountUnit, FileEncoding, FileFormat
from services.subsidies.payments.schemas import BatchCreate, BatchLinePublic, BatchPublic
from services.subsidies.payments.tables import BatchLine, PaymentBatch
from services.subsidies.review.schemas import ReasonBody
from services.subsidies.roles import Payer, Staff
from shared.db import SessionDep
from shared.idempotency import IdempotencyDep, idempotent, scope_of
from shared.openapi import responses
from shared.pagination import Cursor, Limit, Page
from shared.runtime import Now, VaultDep

router = APIRouter(prefix="/v1/subsidies")


def _line_public(line: BatchLine, payee: Payee | None) -> BatchLinePublic:
    return BatchLinePublic(
        id=line.id,
        line_no=line.line_no,
        application_id=line.application_id,
        payee_id=line.payee_id,
        account_number=payee.account_masked if payee else "",
        amount_fen=line.amount_fen,
        status=line.status,
        bank_reference=line.bank_reference,
        failure_reason=line.failure_reason,
    )


_OWN_FIELDS = [k for k in BatchPublic.model_fields if k not in ("lines", "skipped")]


async def batches_public(
    session: AsyncSession, batches: Sequence[PaymentBatch]
) -> list[BatchPublic]:
    """Batches with their lines and each line's (masked) account: two queries whatever their
    number."""
    lines = await repo.lines_of_batches(session, [b.id for b in batches])
    payees = await payees_service.payees_by_id(
        session, {line.payee_id for of_batch in lines.values() for line in of_batch}
    )
    return [
        BatchPublic(
            **{k: getattr(batch, k) for k in _OWN_FIELDS},
            lines=[_line_public(line, payees.get(line.payee_id)) for line in lines[batch.id]],
        )
        for batch in batches
    ]


async def batch_public(session: AsyncSession, batch: PaymentBatch) -> BatchPublic:
    return (await batches_public(session, [batch]))[0]


def file_format(
    encoding: Annotated[
        FileEncoding,
        Query(
            description="`utf-8` (the default, no BOM), `utf-8-sig` (with a BOM, for Excel), "
            "`gbk` (Chinese Windows, most banks) or `gb18030` (GBK's superset, for rare "
            "characters in names)."
        ),
    ] = FileEncoding.utf_8,
    amounts: Annotated[
        AmountUnit,
        Query(
            description="`fen` (the default: integer fen, column `amount_fen`) or `yuan` (two "
            "decimals, exact, column `amount_yuan`)."
        ),
    ] = AmountUnit.fen,
) -> FileFormat:
    return FileFormat(encoding, amounts)


FileFormatDep = Annotated[FileFormat, Depends(file_format)]


def payment_file(content: bytes, batch_id: uuid.UUID, fmt: FileFormat) -> Response:
    return Response(
        content,
        media_type=f"text/csv; charset={fmt.charset}",
        headers={
            "Content-Disposition": f'attachment; filename="subsidy-batch-{batch_id}.csv"',
            "Cache-Control": "no-store",
        },
    )


@router.post(
    "/batches",
    tags=["payments"],
    operation_id="createBatch",
    summary="Make a payment batch",
    status_code=status.HTTP_201_CREATED,
    response_model=BatchPublic,
    responses=responses(401, 403, 409, 422),
)
async def create_batch(
    body: BatchCreate, session: SessionDep, identity: Payer, now: Now, guard: IdempotencyDep
) -> Any:
    """Give `application_ids`, or nothing (optionally a `fund_id`) to take every application
    ready for payment. Applications whose public notice has ended are moved to ready first. A
    failed application may go into a new batch once its payee's account has been replaced.

    With `application_ids`, every listed application must be payable (422 lists those that are
    not, and nothing is batched). Taking every ready application, those that cannot be paid yet
    (no bank account registered) are left out and listed in `skipped` with the reason; the
    others are batched. An empty batch is refused (422, listing any left out)."""

    async def make() -> BatchPublic:
        batch, skipped = await service.create_batch(
            session,
            application_ids=body.application_ids,
            fund_id=body.fund_id,
            actor=identity.actor,
            now=now,
        )
        public = await batch_public(session, batch)
        public.skipped = skipped
        return public

    return await idempotent(
        guard, session, scope=scope_of(identity), payload=body, status_code=201, make=make
    )


@router.get(
    "/batches",
    tags=["payments"],
    operation_id="listBatches",
    summary="List batches",
    response_model=Page[BatchPublic],
    responses=responses(401, 403, 422),
)
async def list_batches(
    session: SessionDep, _: Staff, limit: Limit = 50, cursor: Cursor = None
) -> Page[BatchPublic]:
    items, next_cursor = await repo.list_batches(session, limit=limit, cursor=cursor)
    return Page(items=await batches_public(session, items), next_cursor=next_cursor)


@router.get(
    "/batches/{batch_id}",
    tags=["payments"],
    operation_id="getBatch",
    summary="Get a batch with its lines (accounts masked)",
    response_model=BatchPublic,
    responses=responses(401, 403, 404, 422),
)
async def get_batch(_: Staff, batch: BatchDep, session: SessionDep) -> BatchPublic:
    return await batch_public(session, batch)


@router.post(
    "/batches/{batch_id}/export",
    tags=["payments"],
    operation_id="exportBatch",
    summary="Export the bank payment file (freezes the batch)",
    responses={
        200: {"description": "The bank payment file", "content": {"text/csv": {}}},
        **responses(401, 403, 404, 409, 422),
    },
)
async def export_batch(
    batch_id: uuid.UUID,
    session: SessionDep,
    identity: Payer,
    vault: VaultDep,
    now: Now,
    fmt: FileFormatDep,
) -> Response:
    """Returns the payment file for the bank, CSV with CRLF line ends and this header:

    `line_id,line_no,payee_name,account_number,bank_name,amount_fen,currency,reference`

    * `line_id` — UUID of the batch line; the bank's result file must quote it back;
    * `payee_name`, `account_number`, `bank_name` — the payee's account in clear (this file is
      the only place account numbers are decrypted: handle it as confidential);
    * `amount_fen` — integer amount in fen (with `amounts=yuan`: `amount_yuan`, yuan with two
      decimals, e.g. `500.00`); `currency` — always `CNY`;
    * `reference` — `SUB-<application id>`, for the remittance note.

    `encoding` is UTF-8 without BOM by default; `utf-8-sig`, `gbk` or `gb18030` for Excel on
    Chinese Windows and banks (422 naming the lines when a name has a character `gbk` cannot
    write). The last line, `# audit-head seq=… hash=…`, is the audit entry of this export (the
    chain's head): ASCII, the same in every format.

    The batch is frozen by the export: it cannot be exported again (409). If the answer was
    lost, download the same file again with `GET /batches/{batch_id}/file`.

    Refused, with nothing exported:
    * 409 `batch-payee-replaced`, listing the lines, when a beneficiary's bank account was
      replaced after the batch was made (the line would pay the old account): discard the batch
      and make a new one;
    * 403 `maker-checker` when you registered or replaced the bank account of any line: another
      clerk must export it (a changed bank account is the classic path of payment fraud). The
      refusal is recorded in the audit trail (`batch.export_refused`)."""
    content = await service.export_batch(
        session, batch_id, vault=vault, actor=identity.actor, now=now, fmt=fmt
    )
    return payment_file(content, batch_id, fmt)


@router.get(
    "/batches/{batch_id}/file",
    tags=["payments"],
    operation_id="downloadBatchFile",
    summary="Download the payment file of an exported batch again",
    responses={
        200: {"description": "The bank payment file", "content": {"text/csv": {}}},
        **responses(401, 403, 404, 409, 422),
    },
)
async def download_batch_file(
    batch_id: uuid.UUID,
    session: SessionDep,
    identity: Payer,
    vault: VaultDep,
    now: Now,
    fmt: FileFormatDep,
) -> Response:
    """The same file the export returned (same lines, payees and amounts), for when the export's
    answer was lost. Only for an exported or reconciled batch (409 otherwise). The file is
    rendered afresh and never stored in clear; every download is recorded in the audit trail
    (who, when). Send it to the bank only if the first file did not reach it: the bank's result
    file, not a second payment, settles each line. `encoding` and `amounts` as for the export
    (any format, whichever the export used: the lines, amounts and trailer are the same)."""
    content = await service.download_batch_file(
        session, batch_id, vault=vault, actor=identity.actor, now=now, fmt=fmt
    )
    return payment_file(content, batch_id, fmt)


@router.post(
    "/batches/{batch_id}/discard",
    tags=["payments"],
    operation_id="discardBatch",
    summary="Discard a batch not yet exported",
    response_model=BatchPublic,
    responses=responses(401, 403, 404, 409, 422),
)
async def discard_batch(
    batch_id: uuid.UUID, body: ReasonBody, session: SessionDep, identity: Payer, now: Now
) -> BatchPublic:
    """A draft batch (never exported) is given up, with a reason: its applications go back to
    `ready_for_payment` (their money stays reserved) and can be batched again or cancelled. The
    batch stays, `discarded`, with its lines, for the record. An exported batch cannot be
    discarded (409): its file may be at the bank; import the bank's result instead."""
    batch = await service.discard_batch(
        session, batch_id, reason=body.reason, actor=identity.actor, now=now
    )
    return await batch_public(session, batch)
