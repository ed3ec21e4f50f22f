"""Dependencies every feature's routes share: who may call, the partner behind a credential.
Today's date is :data:`shared.runtime.Today`. Load-by-id dependencies live with their feature's
routes."""

import uuid
from typing import Annotated

from fastapi import Depends

from services.jobs.config import JobsSettings
from services.jobs.employers import service as employers
from services.jobs.employers.tables import Employer
from services.jobs.errors import PartnerNotRegistered
from shared.db import SessionDep
from shared.errors import Forbidden
from shared.identity import Identity, OptionalIdentity, Role, require_roles
from shared.runtime import ServiceRuntime, service_runtime

JobsRuntime = Annotated[ServiceRuntime[JobsSettings], Depends(service_runtime)]

# Who does what (deny by default: every route names its roles).
STAFF_READ: tuple[Role, ...] = ("bureau_clerk", "bureau_approver", "auditor", "admin")
BUREAU_WRITE: tuple[Role, ...] = ("bureau_clerk", "bureau_approver", "admin")
PARTNER_OR_STAFF_READ: tuple[Role, ...] = ("partner", *STAFF_READ)
PARTNER_OR_BUREAU: tuple[Role, ...] = ("partner", *BUREAU_WRITE)

StaffReader = Annotated[Identity, Depends(require_roles(*STAFF_READ))]
BureauWriter = Annotated[Identity, Depends(require_roles(*BUREAU_WRITE))]
PartnerOrStaffReader = Annotated[Identity, Depends(require_roles(*PARTNER_OR_STAFF_READ))]
PartnerOrBureau = Annotated[Identity, Depends(require_roles(*PARTNER_OR_BUREAU))]
PartnerIdentity = Annotated[Identity, Depends(require_roles("partner"))]


def is_staff(identity: Identity | None) -> bool:
    return identity is not None and identity.role in STAFF_READ


async def public_viewer(identity: OptionalIdentity) -> Identity | None:
    """Anyone without a credential, partners and staff; other roles (stores) are refused."""
    if identity is not None and identity.role not in PARTNER_OR_STAFF_READ:
        raise Forbidden(f"The role '{identity.role}' has no access to the jobs service.")
    return identity


Viewer = Annotated[Identity | None, Depends(public_viewer)]


async def current_partner(identity: PartnerIdentity, session: SessionDep) -> Employer:
    """The partner organisation behind the credential (never from the body or the path)."""
    if not identity.subject_id:
        raise PartnerNotRegistered()
    try:
        employer_id = uuid.UUID(identity.subject_id)
    except ValueError:
        raise PartnerNotRegistered() from None
    employer = await employers.find_employer(session, employer_id)
    if employer is None or employer.kind != "haizhu_partner":
        raise PartnerNotRegistered()
    return employer


CurrentPartner = Annotated[Employer, Depends(current_partner)]
