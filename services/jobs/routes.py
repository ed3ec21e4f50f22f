"""HTTP routes of the jobs service, feature by feature, in the order of the OpenAPI document.

Who may call what (deny by default; a ``store`` or unknown-role credential gets 403 everywhere,
the public board included, though anyone may read the open postings without a credential):

* public (no credential) — list and read open postings;
* ``partner`` — its own organisation profile, postings, their applications, its placements and
  their monthly confirmations; the organisation always comes from the credential;
* ``bureau_clerk`` / ``bureau_approver`` (and ``admin``) — employers, workers, applications on
  a worker's behalf, job fairs, training, workshop and dedicated-post placements;
* ``auditor`` — reads everything, changes nothing.
"""

from fastapi import APIRouter

from services.jobs.employers.routes import router as employers
from services.jobs.fairs.routes import router as fairs
from services.jobs.placements.routes import router as placements
from services.jobs.postings.routes import router as postings
from services.jobs.statistics.routes import router as statistics
from services.jobs.trainings.routes import router as trainings
from services.jobs.workers.routes import router as workers

# The features' routes themselves (their paths already carry the prefix), not included routers:
# the order here is the order of the paths in the document, and whoever walks ``router.routes``
# (the app, the validation survey in tests/shared) sees every route.
router = APIRouter()
for feature in (employers, postings, workers, fairs, trainings, placements, statistics):
    router.routes.extend(feature.routes)
