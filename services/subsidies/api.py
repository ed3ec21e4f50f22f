"""The service's HTTP API: every feature's router, in the order of the OpenAPI document (the
order of registration is the order of the paths), and the tags' descriptions."""

from fastapi import APIRouter

from services.subsidies.audit import routes as audit
from services.subsidies.bankfile import routes as bankfile
from services.subsidies.funds import routes as funds
from services.subsidies.notices import routes as notices
from services.subsidies.payees import routes as payees
from services.subsidies.payments import routes as payments
from services.subsidies.programs import routes as programs
from services.subsidies.review import routes as review
from services.subsidies.statistics import routes as statistics

# The features' routes themselves, not the routers included (FastAPI includes those lazily):
# whoever walks ``router.routes`` (the app, tests surveying request bodies) sees every route.
router = APIRouter()
for feature in (funds, programs, review, notices, payees, payments, bankfile, audit, statistics):
    router.routes.extend(feature.router.routes)

OPENAPI_TAGS = [
    {"name": "funds", "description": "Money allocated to subsidies (e.g. Guangzhou aid)."},
    {"name": "programs", "description": "Subsidy rules, versioned on every change."},
    {
        "name": "applications",
        "description": "Grants found from employment events or made by "
        "hand, and their review (maker-checker) and public notice.",
    },
    {
        "name": "notices",
        "description": "The public notice (公示) of approved applications, masked, and "
        "objections from anyone; no login needed.",
    },
    {"name": "payments", "description": "Payees, payment batches, bank files."},
    {"name": "audit", "description": "The append-only, hash-chained audit trail."},
    {"name": "statistics", "description": "Totals per program, fund, month and township."},
]
