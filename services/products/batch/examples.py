"""OpenAPI examples of a batch upload's body, in both formats."""

BATCH_EXAMPLE_NDJSON = (
    '{"receipt_number": "HZ01-0001", "sold_at": "2020-10-15T02:10:00Z", '
    '"lines": [{"sku": "WA-TEA-250", "quantity": 2, "unit_price_fen": 16800}]}\n'
    '{"receipt_number": "HZ01-0002", "sold_at": "2020-10-15T02:12:00Z", '
    '"lines": [{"sku": "WA-CHILI-500", "quantity": 1, "unit_price_fen": 2500}]}\n'
)
BATCH_EXAMPLE_CSV = (
    "receipt_number,sold_at,sku,quantity,unit_price_fen\n"
    "HZ01-0001,2020-10-15T02:10:00Z,WA-TEA-250,2,16800\n"
    "HZ01-0001,2020-10-15T02:10:00Z,WA-CHILI-500,1,2500\n"
    "HZ01-0002,2020-10-15T02:12:00Z,WA-TEA-250,1,16800\n"
)
