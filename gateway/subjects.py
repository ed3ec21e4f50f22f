"""An API key's subject must exist and be what its role acts for: a ``store`` key names a store
of the products service, a ``partner`` key a Haizhu partner organisation of the jobs service.
The gateway has neither table, so it asks the owning service, over its API, with the identity
of whoever creates the key. A key bound to nothing would let its holder act for an
organisation nobody registered; if the owner cannot be asked, no key is created."""

from typing import Any

import aiohttp
import structlog

from gateway.errors import UnknownSubject, UpstreamUnavailable
from shared.identity import IDENTITY_HEADER

log = structlog.get_logger("gateway.subjects")

# role → (owning service, path of its read-by-id endpoint, what the subject is called)
SUBJECTS = {
    "store": ("products", "/v1/products/stores/{id}", "store"),
    "partner": ("jobs", "/v1/jobs/employers/{id}", "Haizhu partner organisation"),
}


async def check_subject(
    http: aiohttp.ClientSession,
    upstreams: dict[str, str],
    identity_header: str,
    role: str,
    subject_id: object,
) -> None:
    """Raises :class:`UnknownSubject` (422) when the subject does not exist or is of the wrong
    kind, :class:`UpstreamUnavailable` (503) when its service cannot say."""
    if role not in SUBJECTS or subject_id is None:
        return
    service, path, what = SUBJECTS[role]
    url = upstreams[service] + path.format(id=subject_id)
    headers = {IDENTITY_HEADER: identity_header, "accept": "application/json"}
    body: Any = None
    try:
        async with http.get(url, headers=headers, allow_redirects=False) as response:
            status = response.status
            if status == 200:
                body = await response.json(content_type=None)
    except (aiohttp.ClientError, TimeoutError, ValueError) as exc:
        log.warning("subject_check_failed", upstream=service, error=type(exc).__name__)
        raise UpstreamUnavailable(service) from exc
    if status == 404:
        raise UnknownSubject(f"There is no {what} with id {subject_id}: register it first.")
    if status != 200 or not isinstance(body, dict):
        log.warning("subject_check_failed", upstream=service, status=status)
        raise UpstreamUnavailable(service)
    if role == "partner" and body.get("kind") != "haizhu_partner":
        raise UnknownSubject(
            f"The employer {subject_id} is a {body.get('kind')}, not a Haizhu partner "
            "organisation: partner keys are for Haizhu partners only."
        )
    if role == "store" and body.get("archived_at"):
        raise UnknownSubject(f"The store {subject_id} is archived: it can have no new key.")
