"""Tables of the catalogue: suppliers and the products they supply."""

import uuid
from datetime import datetime

from sqlmodel import Field

from services.products.catalogue.schemas import ProductBase, SupplierBase
from services.products.db import ProductsModel
from shared.db import UTCDateTime, new_id, utcnow


class Supplier(SupplierBase, ProductsModel, table=True):
    __tablename__ = "suppliers"

    id: uuid.UUID = Field(default_factory=new_id, primary_key=True)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    archived_at: datetime | None = Field(default=None, sa_type=UTCDateTime)


class Product(ProductBase, ProductsModel, table=True):
    __tablename__ = "products"

    id: uuid.UUID = Field(default_factory=new_id, primary_key=True)
    sku: str = Field(max_length=64, unique=True)
    supplier_id: uuid.UUID = Field(foreign_key="suppliers.id", index=True)
    net_weight_grams: int
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    archived_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
