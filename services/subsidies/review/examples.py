"""Examples of the subsidies service's review feature (shown in the OpenAPI document)."""

from pydantic import JsonValue

OBJECTION_EXAMPLES: list[JsonValue] = [
    {"text": "A villager reports the worker left the workshop in March."}
]

APPLICATION_CREATE_EXAMPLES: list[JsonValue] = [
    {
        "program_code": "dedicated-post",
        "placement_id": "0b7d1f0e-3c55-4d0e-a5a4-8d5b3f1e2a90",
        "month": "2020-05",
        "reason": "Refused while a non-stackable grant stood; that grant was rejected.",
    }
]

REASON_EXAMPLES: list[JsonValue] = [{"reason": "Social insurance record shows a gap in April."}]

NOTE_EXAMPLES: list[JsonValue] = [{"note": "ok"}, {"note": "ok", "expected_amount_fen": 40000}]

BULK_IDS_EXAMPLES: list[JsonValue] = [{"application_ids": ["0b7d1f0e-3c55-4d0e-a5a4-8d5b3f1e2a90"]}]

DECISION_EXAMPLES: list[JsonValue] = [
    {"decision": "dismiss", "reason": "Payroll and attendance for March checked: she worked."},
    {"decision": "uphold", "reason": "The workshop confirms she left in March."},
]
