"""Examples of the subsidies service's payees feature (shown in the OpenAPI document)."""

from pydantic import JsonValue

PAYEE_CREATE_EXAMPLES: list[JsonValue] = [
    {
        "beneficiary_kind": "workshop",
        "beneficiary_id": "9a5e2c1d-7b44-4f0a-8e3c-2d1f6b7a8c90",
        "holder_name": "瓮安县某扶贫车间",
        "account_number": "6222020200112233445",
        "bank_name": "Agricultural Bank of China, Weng'an branch",
    }
]
