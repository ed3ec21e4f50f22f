"""Tables and API schemas of the subsidies service, on its own metadata."""

from sqlmodel import SQLModel

from shared.db import new_registry
from shared.events import add_event_tables


class SubsidiesModel(SQLModel, registry=new_registry()):
    pass


metadata = SubsidiesModel.metadata
event_tables = add_event_tables(metadata)
