"""Tables and API schemas of the jobs service, on its own metadata."""

from sqlmodel import SQLModel

from shared.db import new_registry
from shared.events import add_event_tables


class JobsModel(SQLModel, registry=new_registry()):
    pass


metadata = JobsModel.metadata
event_tables = add_event_tables(metadata)
