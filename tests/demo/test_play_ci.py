"""The small scenario played end to end through a real gateway (the e2e platform: every
service under uvicorn on this run's PostgreSQL and NATS); every figure the statistics APIs show
afterwards is the scenario's target."""

from datetime import UTC, datetime, timedelta

from deploy.demo.__main__ import play
from deploy.demo.report import expected
from deploy.demo.scenario import load
from tests.e2e.conftest import platform  # noqa: F401 - the fixture
from tests.support.apps import ADMIN_PASSWORD


async def test_the_ci_scenario_reproduces_its_targets(platform):  # noqa: F811
    plan = load("ci-small", (datetime.now(UTC) + timedelta(hours=8)).date())
    await platform.admin()  # the gateway has made its bootstrap admin
    ok, got = await play(plan, str(platform.client.base_url), ADMIN_PASSWORD, concurrency=8)
    assert got == expected(plan)
    assert ok
