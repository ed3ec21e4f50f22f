"""Dependencies the routes of every feature share: the callers' roles, the calling store and the
service's settings. Loaders of one feature's resources are in that feature's routes."""

import uuid
from typing import Annotated, Any

from fastapi import Depends

from services.products.config import ProductsSettings
from services.products.errors import NotAStore
from services.products.stores import service as stores
from services.products.stores.tables import Store
from shared.db import SessionDep
from shared.identity import STAFF_ROLES, Identity, require_roles
from shared.runtime import ServiceRuntime, service_runtime

StoreCaller = Annotated[Identity, Depends(require_roles("store"))]
StaffCaller = Annotated[Identity, Depends(require_roles(*STAFF_ROLES))]
CatalogueEditor = Annotated[
    Identity, Depends(require_roles("admin", "bureau_clerk", "bureau_approver"))
]


def store_id_of(identity: Identity) -> uuid.UUID:
    """The store a credential is bound to: its subject, never a value from the path or body."""
    try:
        return uuid.UUID(identity.subject_id or "")
    except ValueError:
        raise NotAStore() from None


async def calling_store(identity: StoreCaller, session: SessionDep) -> Store:
    """The store the credential is bound to.

    Routes that take an ``Idempotency-Key`` do not use this: they claim the key first (with
    :func:`shared.idempotency.idempotent`) and load the store inside the write (with
    :func:`stores.service.calling_store`), so that a retry is answered from the stored response
    and a twin still in flight is refused before either reads anything else."""
    return await stores.calling_store(session, store_id_of(identity))


CallingStore = Annotated[Store, Depends(calling_store)]


def products_settings(
    runtime: Annotated[ServiceRuntime[Any], Depends(service_runtime)],
) -> ProductsSettings:
    settings = runtime.settings
    assert isinstance(settings, ProductsSettings)
    return settings


Settings = Annotated[ProductsSettings, Depends(products_settings)]
