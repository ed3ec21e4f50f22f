"""Examples of the subsidies service's programs feature (shown in the OpenAPI document)."""

from typing import Any

from pydantic import JsonValue

PROGRAM_EXAMPLE: dict[str, Any] = {
    "code": "stable-employment",
    "name": "Stable-employment subsidy (稳岗补贴)",
    "employer_kind": "haizhu_partner",
    "beneficiary_kind": "employer",
    "amount_rule": "one_off",
    "amount_fen": 500_000,
    "required_months": 6,
    "cap_per_person_fen": 500_000,
    "poor_only": True,
    "not_stackable_with": ["dedicated-post"],
    "notice_days": 5,
    "valid_from": "2020-01-01",
    "valid_until": "2020-12-31",
    "fund_id": "6f1c3a52-8f0e-4a8e-9d39-1f3f0c2b7e11",
}

PROGRAM_REVISE_EXAMPLE: dict[str, Any] = {
    k: v for k, v in PROGRAM_EXAMPLE.items() if k != "code"
} | {"amount_fen": 600_000}

REEVALUATE_EXAMPLES: list[JsonValue] = [{"dry_run": True}, {"dry_run": False}]
