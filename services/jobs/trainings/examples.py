"""OpenAPI examples of training sessions' requests and responses."""

from pydantic import JsonValue

TRAINING_CREATE: list[JsonValue] = [
    {
        "title": "Electrician basics",
        "topic": "electrical",
        "provider": "Haizhu Vocational Training Centre",
        "starts_on": "2026-04-01",
        "ends_on": "2026-04-14",
        "location": "Jiangjiehe relocation site training room",
        "township": "Jiangjiehe",
    }
]


TRAINING_PUBLIC: list[JsonValue] = [
    {
        "id": "3c4d5e6f-7a8b-4c9d-8e0f-1a2b3c4d5e6f",
        "title": "Electrician basics",
        "topic": "electrical",
        "provider": "Haizhu Vocational Training Centre",
        "starts_on": "2026-04-01",
        "ends_on": "2026-04-14",
        "location": "Jiangjiehe relocation site training room",
        "township": "Jiangjiehe",
        "created_at": "2026-03-20T02:00:00Z",
        "attendee_count": 40,
        "completed_count": 37,
    }
]


TRAINING_ATTENDEE_PUBLIC: list[JsonValue] = [
    {
        "session_id": "3c4d5e6f-7a8b-4c9d-8e0f-1a2b3c4d5e6f",
        "worker_id": "6f1c2a53-3f8e-4a61-9b8e-0d4f3b1a2c10",
        "completed_on": "2026-04-14",
    }
]


COMPLETION_CREATE: list[JsonValue] = [
    {"worker_id": "6f1c2a53-3f8e-4a61-9b8e-0d4f3b1a2c10", "completed_on": "2026-04-14"}
]
