"""OpenAPI examples of the catalogue's request bodies."""

from typing import Any

SUPPLIER_EXAMPLE: dict[str, Any] = {
    "name": "Weng'an Houchang Tea Cooperative",
    "kind": "cooperative",
    "township": "Houchang",
    "poor_households_linked": 128,
}

PRODUCT_EXAMPLE: dict[str, Any] = {
    "sku": "WA-TEA-250",
    "name": "Weng'an Yellow Tea 250 g",
    "category": "tea",
    "supplier_id": "3fa85f64-5717-4562-b3fc-2c963f66afa6",
    "unit": "box",
    "net_weight_grams": 250,
    "certification_number": "XFBF-2020-0042",
    "list_price_fen": 16800,
}
