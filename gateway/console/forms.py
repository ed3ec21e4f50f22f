"""What the forms of the bureau's, partners' and stores' pages share: reading fields, yuan typed
by a person into exact fen, uploads read within a limit, and which fields a refusal is about."""

import re
from collections.abc import Mapping
from decimal import Decimal, InvalidOperation
from typing import Any

from starlette.datastructures import FormData, UploadFile

from gateway.console.client import ApiError
from gateway.console.problems import N_

YUAN = re.compile(r"^\d{1,9}(\.\d{1,2})?$")
# The gateway refuses bodies over 2 MiB: a larger upload is refused here before it is sent.
MAX_UPLOAD_BYTES = 2 * 1024 * 1024

# Field names of the API → labels of the forms (for "these fields are not valid").
FIELD_LABELS: dict[str, str] = {
    "name": N_("Name"),
    "national_id": N_("ID number"),
    "phone": N_("Phone"),
    "township": N_("Township"),
    "skills": N_("Skills"),
    "title": N_("Title"),
    "category": N_("Category"),
    "employment_type": N_("Employment type"),
    "district": N_("District"),
    "salary_min_fen": N_("Lowest monthly salary (yuan)"),
    "salary_max_fen": N_("Highest monthly salary (yuan)"),
    "openings": N_("Openings"),
    "valid_through": N_("Valid through"),
    "month": N_("Month"),
    "wage_paid_fen": N_("Wage paid (yuan)"),
    "held_on": N_("Date"),
    "starts_on": N_("Starts on"),
    "ends_on": N_("Ends on"),
    "location": N_("Location"),
    "completed_on": N_("Completed on"),
    "subject_id": N_("Store or partner organisation"),
    "kind": N_("Kind"),
    "address": N_("Address"),
}


def text(form: FormData, name: str) -> str:
    value = form.get(name)
    return value.strip() if isinstance(value, str) else ""


def texts(form: FormData, *names: str) -> dict[str, str]:
    return {name: text(form, name) for name in names}


def fen(yuan: str) -> int | None:
    """Yuan as a person types them (``4500``, ``4500.5``, ``4,500.50``) as exact fen; None when
    it is not an amount (never rounded: three decimals are not an amount)."""
    cleaned = yuan.replace(",", "").replace("，", "").strip()
    if not YUAN.match(cleaned):
        return None
    try:
        return int(Decimal(cleaned) * 100)
    except InvalidOperation:  # pragma: no cover - the pattern admits only decimals
        return None


def flag(form: FormData, name: str) -> bool:
    return text(form, name) in ("on", "true", "1", "yes")


async def read_upload(upload: Any, limit: int = MAX_UPLOAD_BYTES) -> bytes | None:
    """The uploaded file's bytes, or None when it is no file or larger than ``limit``."""
    if not isinstance(upload, UploadFile):
        return None
    content = await upload.read(limit + 1)
    return None if len(content) > limit else content


def fields_at_fault(
    gettext: Any, error: ApiError, labels: Mapping[str, str] = FIELD_LABELS, sep: str = ", "
) -> str:
    """The form's labels of the fields a 422 names (``body.national_id`` → "ID number")."""
    names: list[str] = []
    for item in error.problem.extra.get("errors") or []:
        field = str(item.get("field") or "").split(".")
        known = next((labels[p] for p in reversed(field) if p in labels), None)
        if known is not None and gettext(known) not in names:
            names.append(gettext(known))
    return sep.join(names)


def refusal(web: Any, error: ApiError, action: str | None = None) -> str:
    """The refusal in words, with the fields at fault when the API names them."""
    message: str = web.problem(error, action)
    fields = fields_at_fault(web._, error, sep="、" if web.language == "zh" else ", ")
    if fields:
        message += " " + web._("Check: %(fields)s.") % {"fields": fields}
    return message
