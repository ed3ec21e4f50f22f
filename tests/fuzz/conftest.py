"""The platform the fuzzing runs against: the same world as the authorisation matrix
(tests/support/world.py), a copy of its own so that what the fuzzer writes never reaches the
matrix's objects.

All its callers share one client address, which sends the gateway thousands of requests without
a credential or with a wrong one on purpose: that address's budget of bad credentials (and of
failed logins) is raised so that each of them is answered for itself (401), as the first ones
from any address are. The budgets themselves are tested in tests/gateway."""

from collections.abc import AsyncIterator

import pytest

from tests.support.infra import TestDatabases
from tests.support.world import World, running_world


@pytest.fixture(scope="package")
async def world(databases: TestDatabases, nats_url: str) -> AsyncIterator[World]:
    async with running_world(
        databases,
        nats_url,
        "fuzz",
        auth_failure_rate_per_second=1000.0,
        auth_failure_burst=100_000,
        login_rate_per_second=1000.0,
        login_burst=10_000,
        # A long run (make fuzz) outlasts the 15 minutes of a login token.
        token_ttl_seconds=86_400,
    ) as w:
        yield w
