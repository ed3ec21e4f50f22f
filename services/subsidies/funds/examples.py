"""Examples of the subsidies service's funds feature (shown in the OpenAPI document)."""

from pydantic import JsonValue

FUND_CREATE_EXAMPLES: list[JsonValue] = [
    {
        "code": "guangzhou-aid-2020",
        "name": "Guangzhou aid funds 2020 (广州帮扶资金)",
        "budget_fen": 9_000_000_000,
    }
]

FUND_UPDATE_EXAMPLES: list[JsonValue] = [{"budget_fen": 9_500_000_000}]
