"""OpenAPI examples of job fairs' requests and responses."""

from pydantic import JsonValue

JOB_FAIR_CREATE: list[JsonValue] = [
    {
        "name": "Haizhu–Weng'an spring job fair",
        "held_on": "2026-03-08",
        "location": "Weng'an County Stadium",
        "township": "Yongyang",
        "description": "Joint fair with 30 Haizhu partners.",
    }
]


JOB_FAIR_PUBLIC: list[JsonValue] = [
    {
        "id": "1a2b3c4d-5e6f-4a7b-8c9d-0e1f2a3b4c5d",
        "name": "Haizhu–Weng'an spring job fair",
        "held_on": "2026-03-08",
        "location": "Weng'an County Stadium",
        "township": "Yongyang",
        "description": "Joint fair with 30 Haizhu partners.",
        "created_at": "2026-02-20T02:00:00Z",
        "employers": [
            {
                "id": "0b9c7a1e-5d2f-4c3b-8a6e-1f2d3c4b5a69",
                "name": "Guangzhou Pearl River Electronics Co.",
                "kind": "haizhu_partner",
                "location": "Haizhu",
            }
        ],
        "attendee_count": 412,
    }
]


FAIR_EMPLOYER_ADD: list[JsonValue] = [{"employer_id": "0b9c7a1e-5d2f-4c3b-8a6e-1f2d3c4b5a69"}]
