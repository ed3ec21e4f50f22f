"""Deny by default: the role × endpoint matrix. Object-level rules (partner A vs partner B,
public vs staff) are tested with each operation; here every endpoint is checked for the roles
that must never pass."""

import uuid

import pytest

from tests.jobs.conftest import assert_problem, make_partner, staff
from tests.support.apps import identity_headers

ID = str(uuid.uuid4())
PUBLIC = {("GET", "/v1/jobs/postings"), ("GET", "/v1/jobs/postings/{posting_id}")}
STAFF_READS = [
    ("GET", "/v1/jobs/employers"),
    ("GET", "/v1/jobs/employers/{employer_id}"),
    ("GET", "/v1/jobs/workers"),
    ("GET", "/v1/jobs/workers/{worker_id}"),
    ("GET", "/v1/jobs/workers/{worker_id}/changes"),
    ("POST", "/v1/jobs/workers/lookup"),  # a read that carries the ID number in its body
    ("GET", "/v1/jobs/job-fairs/{fair_id}/attendees"),
    ("GET", "/v1/jobs/trainings/{session_id}/attendees"),
    ("GET", "/v1/jobs/statistics"),
]
SHARED_READS = [  # partners (their own objects) and staff
    ("GET", "/v1/jobs/job-fairs"),
    ("GET", "/v1/jobs/job-fairs/{fair_id}"),
    ("GET", "/v1/jobs/trainings"),
    ("GET", "/v1/jobs/trainings/{session_id}"),
    ("GET", "/v1/jobs/placements"),
    ("GET", "/v1/jobs/placements/{placement_id}"),
    ("GET", "/v1/jobs/placements/{placement_id}/confirmations"),
    ("GET", "/v1/jobs/postings/{posting_id}/applications"),
]
PARTNER_ONLY = [
    ("GET", "/v1/jobs/employers/me"),
    ("PATCH", "/v1/jobs/employers/me"),
    ("POST", "/v1/jobs/postings"),
    ("PATCH", "/v1/jobs/postings/{posting_id}"),
    ("POST", "/v1/jobs/postings/{posting_id}/publish"),
    ("POST", "/v1/jobs/postings/{posting_id}/close"),
]
BUREAU_WRITES = [
    ("POST", "/v1/jobs/employers"),
    ("POST", "/v1/jobs/workers"),
    ("PATCH", "/v1/jobs/workers/{worker_id}"),
    ("POST", "/v1/jobs/job-fairs"),
    ("POST", "/v1/jobs/job-fairs/{fair_id}/employers"),
    ("POST", "/v1/jobs/job-fairs/{fair_id}/attendees"),
    ("POST", "/v1/jobs/trainings"),
    ("POST", "/v1/jobs/trainings/{session_id}/attendees"),
    ("POST", "/v1/jobs/trainings/{session_id}/completions"),
    ("POST", "/v1/jobs/postings/{posting_id}/applications"),
]
PARTNER_OR_BUREAU_WRITES = [
    ("POST", "/v1/jobs/placements"),
    ("POST", "/v1/jobs/placements/confirmations:batch"),
    ("POST", "/v1/jobs/placements/{placement_id}/confirmations"),
    ("POST", "/v1/jobs/placements/{placement_id}/end"),
]
ALL = (
    sorted(PUBLIC)
    + STAFF_READS
    + SHARED_READS
    + PARTNER_ONLY
    + BUREAU_WRITES
    + PARTNER_OR_BUREAU_WRITES
)
WRITES = [e for e in ALL if e[0] != "GET" and e not in STAFF_READS]


def concrete(path: str) -> str:
    for name in ("posting_id", "employer_id", "worker_id", "fair_id", "session_id", "placement_id"):
        path = path.replace("{" + name + "}", ID)
    return path


async def call(jobs, method, path, headers):
    kwargs = {"headers": headers}
    if method != "GET":
        kwargs["json"] = {}
    return await jobs.client.request(method, concrete(path), **kwargs)


def test_matrix_covers_every_endpoint():
    from services.jobs.app import create_app

    spec = create_app().openapi()
    operations = {
        (m.upper(), p) for p, ops in spec["paths"].items() if p.startswith("/v1/jobs") for m in ops
    }
    assert operations == set(ALL)


@pytest.mark.parametrize(("method", "path"), ALL)
async def test_store_is_refused_everywhere(jobs, method, path):
    r = await call(jobs, method, path, identity_headers("store", str(uuid.uuid4())))
    assert_problem(r, 403)


@pytest.mark.parametrize(("method", "path"), [e for e in ALL if e not in PUBLIC])
async def test_no_credential_is_401(jobs, method, path):
    assert_problem(await call(jobs, method, path, {}), 401)


@pytest.mark.parametrize(("method", "path"), WRITES)
async def test_auditor_changes_nothing(jobs, method, path):
    assert_problem(await call(jobs, method, path, staff("auditor")), 403)


@pytest.mark.parametrize(("method", "path"), STAFF_READS + BUREAU_WRITES)
async def test_partner_is_refused_staff_endpoints(jobs, method, path):
    _, headers = await make_partner(jobs)
    assert_problem(await call(jobs, method, path, headers), 403)


@pytest.mark.parametrize(("method", "path"), PARTNER_ONLY)
async def test_staff_cannot_act_as_a_partner(jobs, method, path):
    assert_problem(await call(jobs, method, path, staff("bureau_approver")), 403)


async def test_forged_identity_is_401(jobs):
    headers = {"X-EW-Identity": "not-a-token"}
    assert_problem(await jobs.client.get("/v1/jobs/workers", headers=headers), 401)
    assert_problem(await jobs.client.get("/v1/jobs/postings", headers=headers), 401)


async def test_method_swap_is_405(jobs):
    r = await jobs.client.delete(f"/v1/jobs/postings/{ID}", headers=staff("admin"))
    assert_problem(r, 405)
