"""HTTP routes of the catalogue: suppliers and products."""

import uuid
from typing import Annotated, Any

from fastapi import APIRouter, Depends

from services.products.catalogue import service
from services.products.catalogue.schemas import (
    Category,
    ProductCreate,
    ProductPublic,
    ProductUpdate,
    SupplierCreate,
    SupplierPublic,
    SupplierUpdate,
)
from services.products.catalogue.tables import Product, Supplier
from services.products.dependencies import CatalogueEditor
from services.products.errors import ProductNotFound, SupplierNotFound
from shared.db import SessionDep
from shared.identity import CurrentIdentity
from shared.loader import loader
from shared.openapi import responses
from shared.pagination import Cursor, Limit, Page
from shared.runtime import Now

router = APIRouter(prefix="/v1/products")


SupplierDep = Annotated[
    Supplier, Depends(loader(service.find_supplier, SupplierNotFound, param="supplier_id"))
]
ProductDep = Annotated[
    Product, Depends(loader(service.find_product, ProductNotFound, param="product_id"))
]


# --- suppliers ---------------------------------------------------------------------------------


@router.post(
    "/suppliers",
    status_code=201,
    response_model=SupplierPublic,
    tags=["catalogue"],
    operation_id="createSupplier",
    summary="Register a supplier",
    responses=responses(401, 403, 422),
)
async def create_supplier(
    body: SupplierCreate, _: CatalogueEditor, session: SessionDep
) -> Supplier:
    """Register a Weng'an enterprise or cooperative whose products are sold, with its township
    and the number of registered-poor households it links to (利益联结)."""
    return await service.create_supplier(session, body)


@router.get(
    "/suppliers",
    response_model=Page[SupplierPublic],
    tags=["catalogue"],
    operation_id="listSuppliers",
    summary="List suppliers",
    responses=responses(401, 403, 422),
)
async def list_suppliers(
    _: CurrentIdentity,
    session: SessionDep,
    limit: Limit = 50,
    cursor: Cursor = None,
    include_archived: bool = False,
) -> Page[Any]:
    """Suppliers in the order they were registered; archived ones only when asked."""
    items, next_cursor = await service.list_suppliers(
        session, limit=limit, cursor=cursor, include_archived=include_archived
    )
    return Page(items=items, next_cursor=next_cursor)


@router.get(
    "/suppliers/{supplier_id}",
    response_model=SupplierPublic,
    tags=["catalogue"],
    operation_id="getSupplier",
    summary="Get a supplier",
    responses=responses(401, 403, 404, 422),
)
async def get_supplier(_: CurrentIdentity, supplier: SupplierDep) -> Supplier:
    return supplier


@router.patch(
    "/suppliers/{supplier_id}",
    response_model=SupplierPublic,
    tags=["catalogue"],
    operation_id="updateSupplier",
    summary="Change a supplier",
    responses=responses(401, 403, 404, 422),
)
async def update_supplier(
    body: SupplierUpdate, _: CatalogueEditor, supplier: SupplierDep, session: SessionDep
) -> Supplier:
    """Change the fields sent; the others keep their values."""
    return await service.update_supplier(session, supplier, body)


@router.post(
    "/suppliers/{supplier_id}/archive",
    response_model=SupplierPublic,
    tags=["catalogue"],
    operation_id="archiveSupplier",
    summary="Archive a supplier",
    responses=responses(401, 403, 404, 422),
)
async def archive_supplier(
    _: CatalogueEditor, supplier: SupplierDep, session: SessionDep, now: Now
) -> Supplier:
    """Archived suppliers take no new products; their history stays. Nothing is deleted."""
    return await service.archive_supplier(session, supplier, now=now)


# --- products ----------------------------------------------------------------------------------


@router.post(
    "/catalogue",
    status_code=201,
    response_model=ProductPublic,
    tags=["catalogue"],
    operation_id="createProduct",
    summary="Add a product to the catalogue",
    responses=responses(401, 403, 409, 422, descriptions={409: "The SKU is taken"}),
)
async def create_product(body: ProductCreate, _: CatalogueEditor, session: SessionDep) -> Product:
    """Add a certified product: SKU (unique), category, supplier, selling unit, net weight in
    grams per unit, certification number and list price in fen. SKU, supplier and net weight
    cannot change later, because recorded sales depend on them."""
    return await service.create_product(session, body)


@router.get(
    "/catalogue",
    response_model=Page[ProductPublic],
    tags=["catalogue"],
    operation_id="listProducts",
    summary="List the catalogue",
    responses=responses(401, 403, 422),
)
async def list_products(
    _: CurrentIdentity,
    session: SessionDep,
    limit: Limit = 50,
    cursor: Cursor = None,
    include_archived: bool = False,
    category: Category | None = None,
    supplier_id: uuid.UUID | None = None,
) -> Page[Any]:
    """The catalogue in the order products were added; stores read it to know the SKUs."""
    items, next_cursor = await service.list_products(
        session,
        limit=limit,
        cursor=cursor,
        include_archived=include_archived,
        category=category,
        supplier_id=supplier_id,
    )
    return Page(items=items, next_cursor=next_cursor)


@router.get(
    "/catalogue/{product_id}",
    response_model=ProductPublic,
    tags=["catalogue"],
    operation_id="getProduct",
    summary="Get a product",
    responses=responses(401, 403, 404, 422),
)
async def get_product(_: CurrentIdentity, product: ProductDep) -> Product:
    return product


@router.patch(
    "/catalogue/{product_id}",
    response_model=ProductPublic,
    tags=["catalogue"],
    operation_id="updateProduct",
    summary="Change a product",
    responses=responses(401, 403, 404, 422),
)
async def update_product(
    body: ProductUpdate, _: CatalogueEditor, product: ProductDep, session: SessionDep
) -> Product:
    """Change name, category, unit, certification number or list price."""
    return await service.update_product(session, product, body)


@router.post(
    "/catalogue/{product_id}/archive",
    response_model=ProductPublic,
    tags=["catalogue"],
    operation_id="archiveProduct",
    summary="Archive a product",
    responses=responses(401, 403, 404, 422),
)
async def archive_product(
    _: CatalogueEditor, product: ProductDep, session: SessionDep, now: Now
) -> Product:
    """An archived SKU can no longer be sold; sales that refer to it keep it. Nothing is
    deleted."""
    return await service.archive_product(session, product, now=now)
