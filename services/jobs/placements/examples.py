"""OpenAPI examples of placements' and confirmations' requests and responses."""

from pydantic import JsonValue

PLACEMENT_CREATE: list[JsonValue] = [
    {
        "worker_id": "6f1c2a53-3f8e-4a61-9b8e-0d4f3b1a2c10",
        "posting_id": "2d7e0c55-7f6a-4a1e-9c3b-5e8d1f0a2b47",
        "start_date": "2026-05-04",
        "monthly_wage_fen": 520000,
    },
    {
        "worker_id": "6f1c2a53-3f8e-4a61-9b8e-0d4f3b1a2c10",
        "employer_id": "0b9c7a1e-5d2f-4c3b-8a6e-1f2d3c4b5a69",
        "start_date": "2026-05-04",
        "monthly_wage_fen": 180000,
    },
]


CONFIRMATION_PUBLIC: list[JsonValue] = [
    {
        "id": "9a3e5c71-2b4d-4f6a-8c1e-3d5f7a9b1c20",
        "placement_id": "5b1c9e2a-8d3f-4e6a-b1c2-7d8e9f0a1b2c",
        "month": "2026-05",
        "wage_paid_fen": 520000,
        "supersedes": None,
        "superseded": False,
        "note": "",
        "created_at": "2026-06-01T01:00:00Z",
    }
]


PLACEMENT_PUBLIC: list[JsonValue] = [
    {
        "id": "5b1c9e2a-8d3f-4e6a-b1c2-7d8e9f0a1b2c",
        "worker_id": "6f1c2a53-3f8e-4a61-9b8e-0d4f3b1a2c10",
        "worker_name": "Wang Fang",
        "employer_id": "0b9c7a1e-5d2f-4c3b-8a6e-1f2d3c4b5a69",
        "employer_kind": "haizhu_partner",
        "posting_id": "2d7e0c55-7f6a-4a1e-9c3b-5e8d1f0a2b47",
        "township": "Houchang",
        "poor_household": True,
        "start_date": "2026-03-02",
        "monthly_wage_fen": 520000,
        "status": "active",
        "end_date": None,
        "end_reason": None,
        "note": "",
        "created_at": "2026-03-02T01:00:00Z",
        "confirmed_months": ["2026-03", "2026-04"],
        "next_month_to_confirm": "2026-05",
    }
]


PLACEMENT_END: list[JsonValue] = [
    {"end_date": "2026-09-30", "reason": "resigned", "note": "Went home."}
]


CONFIRMATION_CREATE: list[JsonValue] = [
    {"month": "2026-05", "wage_paid_fen": 520000},
    {
        "month": "2026-05",
        "wage_paid_fen": 540000,
        "corrects": "9a3e5c71-2b4d-4f6a-8c1e-3d5f7a9b1c20",
        "note": "Overtime was left out.",
    },
]


CONFIRMATION_BATCH: list[JsonValue] = [
    {
        "confirmations": [
            {
                "placement_id": "5b1c9e2a-8d3f-4e6a-b1c2-7d8e9f0a1b2c",
                "month": "2026-05",
                "wage_paid_fen": 520000,
            },
            {
                "placement_id": "7c2d0f3b-9e4a-4f7b-a2d3-8e9f0a1b2c3d",
                "month": "2026-05",
                "wage_paid_fen": 480000,
            },
        ]
    }
]


CONFIRMATION_BATCH_RESULT: list[JsonValue] = [
    {
        "confirmed": 1,
        "items": CONFIRMATION_PUBLIC,
    }
]
