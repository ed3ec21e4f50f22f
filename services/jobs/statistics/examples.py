"""OpenAPI example of the program's figures."""

from pydantic import JsonValue

STATISTICS: list[JsonValue] = [
    {
        "period_from": None,
        "period_to": "2020-12-31",
        "township": None,
        "stable_months": 6,
        "jobs_offered": 3000,
        "postings": 212,
        "job_fairs_held": 9,
        "training_sessions": 39,
        "people_trained": 1702,
        "people_trained_poor": 1558,
        "placements": 3120,
        "placements_poor": 2803,
        "workers_in_stable_employment": 2950,
        "workers_in_stable_employment_poor": 2803,
        "total_wages_paid_fen": 9500000000,
        "total_wages_paid_poor_fen": 8700000000,
        "workshops": 10,
        "workshops_employing": 10,
        "workshop_workers": 2240,
        "workshop_workers_poor": 2171,
    }
]
