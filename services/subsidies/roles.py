"""Who may call what: the roles of every feature's routes (under ``/v1/subsidies``).

Who may do what (deny by default): ``admin`` defines funds and programs; a ``bureau_clerk``
verifies applications, creates them by hand, records objections, registers payees (so may an
``admin``) and alone runs payment batches (make, export, re-download, discard, import results,
close ended notices), never exporting a batch that pays an account they registered; a
``bureau_approver`` approves (never what they created or verified); rejecting and cancelling are
open to clerks and approvers (cancelling also to admins); ``auditor`` reads everything and
changes nothing. Partner and store keys have no business here. The public notice (公示) and
objections to it are open to anyone without a credential and to staff (:data:`PublicViewer`).
"""

from typing import Annotated

from fastapi import Depends

from shared.errors import Forbidden
from shared.identity import STAFF_ROLES, Identity, OptionalIdentity, require_roles

Admin = Annotated[Identity, Depends(require_roles("admin"))]


Staff = Annotated[Identity, Depends(require_roles(*STAFF_ROLES))]


Clerk = Annotated[Identity, Depends(require_roles("bureau_clerk", "admin"))]


Verifier = Annotated[Identity, Depends(require_roles("bureau_clerk"))]


Approver = Annotated[Identity, Depends(require_roles("bureau_approver"))]


Reviewer = Annotated[Identity, Depends(require_roles("bureau_clerk", "bureau_approver"))]


Canceller = Annotated[Identity, Depends(require_roles("bureau_clerk", "bureau_approver", "admin"))]


# Payments are the clerk's job alone: an approver who could also pay would approve and pay
# alone, and admins define funds and programs, not payments.
Payer = Annotated[Identity, Depends(require_roles("bureau_clerk"))]


Auditor = Annotated[Identity, Depends(require_roles("auditor", "admin"))]


async def public_viewer(identity: OptionalIdentity) -> Identity | None:
    """Anyone without a credential, and staff; partner and store keys are refused here as
    everywhere in this service (as the jobs service's public board refuses stores)."""
    if identity is not None and identity.role not in STAFF_ROLES:
        raise Forbidden(f"The role '{identity.role}' has no access to the subsidies service.")
    return identity


PublicViewer = Annotated[Identity | None, Depends(public_viewer)]
