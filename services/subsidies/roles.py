"""Who may call what: the roles of every feature's routes (under ``/v1/subsidies``).

Who may do what (deny by default): ``admin`` defines funds and programs; a ``bureau_clerk``
verifies applications, creates them by hand, records objections, registers payees (so may an
``admin``) and alone runs payment batches (make, export, re-download, discard, import results,
close ended notices), never exporting a batch that pays an account they registered; a
``bureau_approver`` approves (never what they created or verified); rejecting and cancelling are
open to clerks and approvers (cancelling also to admins); ``auditor`` reads everything and
changes nothing. Partner and store keys have no business here.
"""

from typing import Annotated

from fastapi import Depends

from shared.identity import STAFF_ROLES, Identity, require_roles

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
