from tests.support.apps import identity_headers


async def test_services_ready(jobs, products, subsidies):
    for svc in (jobs, products, subsidies):
        r = await svc.client.get("/readyz")
        assert r.status_code == 200, r.text
        assert r.json()["checks"] == {"database": "ok", "nats": "ok", "migrations": "at head"}


async def test_unknown_route_is_problem(jobs):
    r = await jobs.client.get("/v1/jobs/nothing-here", headers=identity_headers("admin"))
    assert r.status_code == 404
    assert r.headers["content-type"] == "application/problem+json"
