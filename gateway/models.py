"""Tables of the gateway: staff users and API keys, on the gateway's own metadata."""

from sqlmodel import SQLModel

from shared.db import new_registry


class GatewayModel(SQLModel, registry=new_registry()):
    pass


metadata = GatewayModel.metadata
