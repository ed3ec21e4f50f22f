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


WORKER_UPDATE: list[JsonValue] = [
    {"township": "Languan", "poor_household": True, "reason": "Moved; household re-registered"}
]
WORKER_CHANGE_PUBLIC: list[JsonValue] = [
    {
        "id": "0b6c7d2e-8f1a-4c3b-9d5e-6f7a8b9c0d1e",
        "worker_id": "6f1c2a53-3f8e-4a61-9b8e-0d4f3b1a2c10",
        "changes": [
            {"field": "township", "old": "Houchang", "new": "Languan"},
            {"field": "phone", "old": "138****0000", "new": "139****1111"},
        ],
        "reason": "Moved; household re-registered",
        "changed_by": "user:1d2c3b4a-5e6f-4a7b-8c9d-0e1f2a3b4c5d",
        "changed_by_name": "li.clerk",
        "changed_at": "2026-06-20T02:15:00Z",
    }
]
