"""OpenAPI examples of workers' requests and responses."""

from pydantic import JsonValue

WORKER_CREATE: list[JsonValue] = [
    {
        "name": "Wang Fang",
        "national_id": "522725199001010025",
        "phone": "13800000000",
        "township": "Houchang",
        "poor_household": True,
        "skills": ["sewing", "forklift"],
    }
]


WORKER_LOOKUP: list[JsonValue] = [{"national_id": "522725199001010025"}]
WORKER_PUBLIC: list[JsonValue] = [
    {
        "id": "6f1c2a53-3f8e-4a61-9b8e-0d4f3b1a2c10",
        "name": "Wang Fang",
        "national_id_masked": "522***********0025",
        "phone_masked": "138****0000",
        "township": "Houchang",
        "poor_household": True,
        "skills": ["sewing", "forklift"],
        "registered_on": "2026-03-01",
        "created_at": "2026-03-01T01:30:00Z",
    }
]


WORKER_REF: list[JsonValue] = [{"worker_id": "6f1c2a53-3f8e-4a61-9b8e-0d4f3b1a2c10"}]
