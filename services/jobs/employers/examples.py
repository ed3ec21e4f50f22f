"""OpenAPI examples of employers' requests and responses."""

from pydantic import JsonValue

EMPLOYER_CREATE: list[JsonValue] = [
    {
        "kind": "haizhu_partner",
        "name": "Guangzhou Pearl River Electronics Co.",
        "location": "Haizhu",
        "address": "88 Xingang Road, Haizhu District, Guangzhou",
        "description": "Consumer electronics assembly.",
        "contact": "HR office, hr@example.com",
    }
]


EMPLOYER_UPDATE: list[JsonValue] = [{"contact": "Recruitment desk, jobs@example.com"}]
EMPLOYER_PUBLIC: list[JsonValue] = [
    {
        "id": "0b9c7a1e-5d2f-4c3b-8a6e-1f2d3c4b5a69",
        "kind": "haizhu_partner",
        "name": "Guangzhou Pearl River Electronics Co.",
        "location": "Haizhu",
        "address": "88 Xingang Road, Haizhu District, Guangzhou",
        "description": "Consumer electronics assembly.",
        "contact": "HR office, hr@example.com",
        "created_at": "2026-01-10T02:00:00Z",
    }
]
