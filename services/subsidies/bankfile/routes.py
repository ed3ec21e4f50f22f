"""Routes of the subsidies service's bankfile feature."""

import uuid

from fastapi import APIRouter, Request

from services.subsidies.bankfile import service
from services.subsidies.bankfile.examples import RESULT_FILE_EXAMPLE
from services.subsidies.bankfile.schemas import ReconcileResult
from services.subsidies.roles import Payer
from shared.db import SessionDep
from shared.errors import PayloadTooLarge
from shared.openapi import responses
from shared.runtime import Now

router = APIRouter(prefix="/v1/subsidies")


MAX_RESULT_FILE = 5 * 1024 * 1024


@router.post(
    "/batches/{batch_id}/results",
    tags=["payments"],
    operation_id="importBankResults",
    summary="Import the bank's result file",
    response_model=ReconcileResult,
    responses=responses(401, 403, 404, 409, 413, 422),
    openapi_extra={
        "requestBody": {
            "required": True,
            "content": {
                "text/csv": {
                    "schema": {"type": "string"},
                    "example": RESULT_FILE_EXAMPLE,
                }
            },
        }
    },
)
async def import_results(
    batch_id: uuid.UUID, request: Request, session: SessionDep, identity: Payer, now: Now
) -> ReconcileResult:
    """CSV with the header `line_id,status,amount_fen,bank_reference,reason`; one line per
    batch line settled: `status` is `paid` (with `bank_reference`) or `failed` (with `reason`),
    and `amount_fen` must equal the amount sent. As the payment file went out in any format:
    UTF-8 (BOM or not) or GBK (the Content-Type's `charset`, or recognised when it is not
    UTF-8), and `amount_yuan` (e.g. `500.00`) in place of `amount_fen`. The whole file is
    checked first: unknown line ids, amounts that differ, duplicate lines or bad fields → 422
    listing every bad line, and nothing is applied. Lines not in the file stay pending.
    Importing the same result again changes nothing; a result contradicting one already
    applied → 409 (paid is final)."""
    raw = await request.body()
    if len(raw) > MAX_RESULT_FILE:
        raise PayloadTooLarge(f"The result file may be at most {MAX_RESULT_FILE} bytes.")
    return await service.import_results(
        session,
        batch_id,
        raw,
        actor=identity.actor,
        now=now,
        charset=charset_of(request.headers.get("content-type")),
    )


def charset_of(content_type: str | None) -> str | None:
    """The ``charset`` parameter of a Content-Type, if any."""
    for part in (content_type or "").split(";")[1:]:
        name, _, value = part.partition("=")
        if name.strip().lower() == "charset":
            return value.strip() or None
    return None
