"""Examples of the subsidies service's public notice (shown in the OpenAPI document)."""

from pydantic import JsonValue

PUBLIC_OBJECTION_EXAMPLES: list[JsonValue] = [
    {
        "text": "这位工人三月份已经离开车间了。 (She left the workshop in March.)",
        "contact": "13812345678",
    },
    {"text": "The worker named here does not live in Houchang."},
]

NOTICE_EXAMPLE: JsonValue = {
    "application_id": "0b7d1f0e-3c55-4d0e-a5a4-8d5b3f1e2a90",
    "program_code": "dedicated-post",
    "program_name": "Dedicated-post subsidy (扶贫专岗补贴)",
    "beneficiary_kind": "worker",
    "beneficiary_name": "王*明",
    "township": "Houchang",
    "month": "2020-05",
    "amount_fen": 50000,
    "notice_starts_at": "2020-06-01T08:00:00Z",
    "notice_ends_at": "2020-06-06T08:00:00Z",
    "objection_path": "/v1/subsidies/notices/0b7d1f0e-3c55-4d0e-a5a4-8d5b3f1e2a90/objections",
    "people": [
        {
            "name_masked": "王*明",
            "national_id_masked": "522***********1234",
            "township": "Houchang",
            "month": "2020-05",
            "amount_fen": 50000,
        }
    ],
}
