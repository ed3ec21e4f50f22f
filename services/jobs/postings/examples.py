"""OpenAPI examples of postings' and applications' requests and responses."""

from pydantic import JsonValue

POSTING_EXAMPLE: dict[str, JsonValue] = {
    "title": "Assembly line operator (electronics)",
    "description": "Assemble and test phone chargers on a clean, air-conditioned line.",
    "category": "manufacturing",
    "employment_type": "full_time",
    "district": "Haizhu",
    "address": "88 Xingang Road, Haizhu District, Guangzhou",
    "salary_min_fen": 450000,
    "salary_max_fen": 650000,
    "openings": 20,
    "requirements": "Aged 18–45; no experience needed; two weeks' paid training.",
    "housing": True,
    "meals": True,
    "travel": True,
    "benefits_note": "Dormitory of 4 per room; return ticket at Spring Festival.",
    "contact": "HR office, hr@example.com",
    "valid_through": "2026-12-31",
}


POSTING_CREATE: list[JsonValue] = [POSTING_EXAMPLE]
POSTING_UPDATE: list[JsonValue] = [{"openings": 30, "salary_max_fen": 700000}]
POSTING_PUBLIC: list[JsonValue] = [
    POSTING_EXAMPLE
    | {
        "id": "2d7e0c55-7f6a-4a1e-9c3b-5e8d1f0a2b47",
        "employer": {
            "id": "0b9c7a1e-5d2f-4c3b-8a6e-1f2d3c4b5a69",
            "name": "Guangzhou Pearl River Electronics Co.",
            "kind": "haizhu_partner",
            "location": "Haizhu",
        },
        "status": "open",
        "hires": 4,
        "openings_remaining": 16,
        "created_at": "2026-06-01T02:00:00Z",
        "updated_at": "2026-06-02T02:00:00Z",
        "published_at": "2026-06-02T02:00:00Z",
        "closed_at": None,
    }
]


APPLICATION_CREATE: list[JsonValue] = [
    {
        "worker_id": "6f1c2a53-3f8e-4a61-9b8e-0d4f3b1a2c10",
        "note": "Met the employer at the March job fair.",
    }
]


APPLICATION_PUBLIC: list[JsonValue] = [
    {
        "id": "7c2d4e6f-8a1b-4c3d-9e5f-0a1b2c3d4e5f",
        "posting_id": "2d7e0c55-7f6a-4a1e-9c3b-5e8d1f0a2b47",
        "status": "submitted",
        "note": "Met the employer at the March job fair.",
        "created_at": "2026-03-09T03:00:00Z",
        "applicant": {
            "id": "6f1c2a53-3f8e-4a61-9b8e-0d4f3b1a2c10",
            "name": "Wang Fang",
            "township": "Houchang",
            "skills": ["sewing"],
        },
    }
]
