"""Examples of the subsidies service's payments feature (shown in the OpenAPI document)."""

from pydantic import JsonValue

BATCH_CREATE_EXAMPLES: list[JsonValue] = [
    {"application_ids": ["0b7d1f0e-3c55-4d0e-a5a4-8d5b3f1e2a90"]},
    {"fund_id": None},
]
