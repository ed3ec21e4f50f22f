"""OpenAPI examples of the sales' request bodies."""

from typing import Any

SALE_EXAMPLE: dict[str, Any] = {
    "receipt_number": "HZ01-20201015-0042",
    "sold_at": "2020-10-15T06:30:00Z",
    "lines": [{"sku": "WA-TEA-250", "quantity": 2, "unit_price_fen": 16800}],
}

CORRECTION_EXAMPLES: list[Any] = [
    {
        "kind": "correction",
        "reason": "cashier keyed 3 boxes instead of 2",
        "lines": [{"sku": "WA-TEA-250", "quantity": 2, "unit_price_fen": 16800}],
    },
    {"kind": "void", "reason": "customer returned the goods"},
]
