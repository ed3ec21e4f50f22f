"""The broker requires credentials and grants each process only its own subjects (issue 8 item 1,
RELIABILITY row 29): on a nats-server with exactly the production authorization, nobody without
a password connects, a service cannot publish another's events nor read what it does not
consume, and forged employment events published without credentials or as another service
create no subsidy application."""

import asyncio
import contextlib
import importlib
import uuid
from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime
from typing import Any

import nats
import nats.errors
import pytest
from nats.aio.client import Client as NATS
from sqlalchemy import select

from deploy.topology import CONSUMERS, NATS_USERS, SERVICES
from services.subsidies.eligibility.tables import Placement, Worker
from shared.events import Envelope, ensure_stream
from shared.events.permissions import connect_options
from tests.jobs.conftest import make_worker
from tests.subsidies.factories import (
    WORKSHOP,
    Clock,
    applications,
    create_fund,
    create_program,
)
from tests.support.apps import RunningService, running_service, service_settings
from tests.support.infra import TEST_NATS_PASSWORDS, NatsServer, wait_until

pytestmark = pytest.mark.timeout(180)


@pytest.fixture(scope="module")
def broker() -> Iterator[NatsServer]:
    """A server of its own with the production permissions: no namespace, no harness user."""
    server = NatsServer(namespaced=False, harness=False).start()
    try:
        yield server
    finally:
        server.stop()


class Client:
    """A connection as one user, keeping the errors the server reports to it."""

    def __init__(self) -> None:
        self.errors: list[str] = []
        self.nc: NATS | None = None

    async def connect(self, url: str, user: str = "", password: str = "") -> NATS:
        async def on_error(exc: Exception) -> None:
            self.errors.append(str(exc))

        self.nc = await nats.connect(
            url,
            allow_reconnect=False,
            max_reconnect_attempts=0,
            connect_timeout=2,
            error_cb=on_error,
            **connect_options(user, password),
        )
        return self.nc

    def violations(self) -> list[str]:
        return [e for e in self.errors if "permissions violation" in e.lower()]


@pytest.fixture
async def connect(broker: NatsServer) -> AsyncIterator[Any]:
    clients: list[Client] = []

    async def make(user: str, password: str | None = None) -> Client:
        client = Client()
        await client.connect(
            broker.url, user, TEST_NATS_PASSWORDS[user] if password is None else password
        )
        clients.append(client)
        return client

    yield make
    for client in clients:
        if client.nc is not None and not client.nc.is_closed:
            await client.nc.close()


async def jobs_stream(connect: Any) -> Client:
    """The jobs user, having created its stream as the jobs service does, and one event on it."""
    jobs = await connect("jobs")
    js = jobs.nc.jetstream(timeout=2)
    await ensure_stream(js, "jobs")
    await js.publish("jobs.worker.registered", b"{}")
    return jobs  # type: ignore[no-any-return]


async def stream_messages(connect: Any, stream: str) -> int:
    owner = await connect(stream.lower())
    assert owner.nc is not None
    return (await owner.nc.jetstream(timeout=2).stream_info(stream)).state.messages  # type: ignore[no-any-return]


class TestConnecting:
    @pytest.mark.parametrize("user", NATS_USERS)
    async def test_each_process_connects_with_its_own_password(self, connect, user):
        client = await connect(user)
        assert client.nc.is_connected

    async def test_no_credentials_are_refused(self, broker):
        with pytest.raises(nats.errors.Error, match="Authorization Violation"):
            await Client().connect(broker.url)

    async def test_a_wrong_password_is_refused(self, broker):
        with pytest.raises(nats.errors.Error, match="Authorization Violation"):
            await Client().connect(broker.url, "jobs", "not-the-password")

    async def test_another_users_password_is_refused(self, broker):
        with pytest.raises(nats.errors.Error, match="Authorization Violation"):
            await Client().connect(broker.url, "jobs", TEST_NATS_PASSWORDS["products"])


class TestPermissions:
    async def test_a_service_cannot_publish_another_services_events(self, connect):
        await jobs_stream(connect)
        before = await stream_messages(connect, "JOBS")
        for user in ("products", "subsidies", "gateway", "ops"):
            foreign = await connect(user)
            with pytest.raises(nats.errors.TimeoutError):  # no PubAck: the server dropped it
                await foreign.nc.jetstream(timeout=1).publish("jobs.placement.started", b"{}")
            await foreign.nc.publish("jobs.placement.month_confirmed", b"{}")
            await foreign.nc.flush()
            await wait_until(lambda f=foreign: len(f.violations()) >= 2, timeout=5)
            assert foreign.violations() == [
                'nats: permissions violation for publish to "jobs.placement.started"',
                'nats: permissions violation for publish to "jobs.placement.month_confirmed"',
            ]
        assert await stream_messages(connect, "JOBS") == before

    async def test_ops_reads_stream_state_but_not_the_messages(self, connect):
        await jobs_stream(connect)
        ops = await connect("ops")
        js = ops.nc.jetstream(timeout=1)
        info = await js.stream_info("JOBS")  # what `python -m deploy.ops lag` reads
        assert info.state.messages >= 1
        assert isinstance(await js.consumers_info("JOBS"), list)
        with pytest.raises(nats.errors.TimeoutError):  # the message itself: refused
            await js.get_msg("JOBS", 1)
        with pytest.raises(nats.errors.TimeoutError):
            await js.delete_consumer("JOBS", "subsidies-eligibility")
        await wait_until(lambda: len(ops.violations()) >= 2, timeout=5)

    async def test_a_service_reads_only_what_it_consumes(self, connect):
        jobs = await jobs_stream(connect)
        products = await connect("products")
        received: list[bytes] = []

        async def on_msg(msg: Any) -> None:
            received.append(msg.data)

        # Neither the events themselves nor another user's inbox (where pull consumers deliver).
        await products.nc.subscribe("jobs.>", cb=on_msg)
        await products.nc.subscribe("_INBOX.subsidies.>", cb=on_msg)
        await products.nc.subscribe("_INBOX.>", cb=on_msg)
        await products.nc.flush()
        await jobs.nc.publish("jobs.placement.started", b"seen?")
        await jobs.nc.flush()
        await wait_until(lambda: len(products.violations()) >= 3, timeout=5)
        assert sorted(products.violations()) == [
            f'nats: permissions violation for subscription to "{subject}"'  # lower-cased by nats-py
            for subject in ("_inbox.>", "_inbox.subsidies.>", "jobs.>")
        ]
        await asyncio.sleep(0.3)
        assert received == []

        # Nor may it create a consumer on the jobs stream, or change that stream.
        js = products.nc.jetstream(timeout=1)
        with pytest.raises(nats.errors.TimeoutError):
            await js.add_consumer("JOBS", durable_name="products-spy")
        with pytest.raises(nats.errors.TimeoutError):
            await js.stream_info("JOBS")
        with pytest.raises(nats.errors.TimeoutError):
            await js.delete_stream("JOBS")
        assert await stream_messages(connect, "JOBS") >= 1  # still there

    async def test_the_gateway_reads_events_as_they_pass_and_nothing_more(self, connect):
        # The console's live feed: a core subscription to the publishers' subjects.
        jobs = await jobs_stream(connect)
        gateway = await connect("gateway")
        received: list[bytes] = []

        async def on_msg(msg: Any) -> None:
            received.append(msg.data)

        for subject in ("jobs.>", "products.>", "subsidies.>", "_INBOX.subsidies.>"):
            await gateway.nc.subscribe(subject, cb=on_msg)
        await gateway.nc.flush()
        await jobs.nc.jetstream(timeout=2).publish("jobs.posting.published", b"seen")
        await wait_until(
            lambda: received == [b"seen"] and len(gateway.violations()) >= 1, timeout=5
        )
        assert gateway.violations() == [
            'nats: permissions violation for subscription to "_inbox.subsidies.>"'
        ]
        # Neither the streams' store nor a consumer of its own.
        js = gateway.nc.jetstream(timeout=1)
        with pytest.raises(nats.errors.TimeoutError):
            await js.stream_info("JOBS")
        with pytest.raises(nats.errors.TimeoutError):
            await js.add_consumer("JOBS", durable_name="gateway-spy")

    def test_the_permission_table_names_every_consumer_of_each_service(self):
        declared: dict[str, dict[str, tuple[str, ...]]] = {}
        for service in SERVICES:
            module = importlib.import_module(f"services.{service}.consumers")
            for sub in module.subscriptions:
                durables = declared.setdefault(service, {}).setdefault(sub.publisher, ())
                declared[service][sub.publisher] = (*durables, sub.durable)
        assert declared == CONSUMERS


# ------------------------------------------------------------------ forged events, end to end


def forged_employment() -> list[Envelope]:
    """A made-up placement of a made-up worker at a workshop, and three confirmed months: the
    envelopes the outside review published to get 60,000 fen of applications."""
    placement = {
        "placement_id": str(uuid.uuid4()),
        "worker_id": str(uuid.uuid4()),
        "employer_id": str(uuid.uuid4()),
        "employer_kind": "workshop",
        "posting_id": None,
        "poor_household": True,
        "township": "Houchang",
        "start_date": "2020-01-01",
        "monthly_wage_fen": 350000,
    }
    months = [
        {
            "confirmation_id": str(uuid.uuid4()),
            "placement_id": placement["placement_id"],
            "worker_id": placement["worker_id"],
            "employer_id": placement["employer_id"],
            "employer_kind": "workshop",
            "month": month,
            "wage_paid_fen": 350000,
            "supersedes": None,
        }
        for month in ("2020-01", "2020-02", "2020-03")
    ]
    return [Envelope(type="jobs.placement.started", source="jobs", data=placement)] + [
        Envelope(type="jobs.placement.month_confirmed", source="jobs", data=m) for m in months
    ]


async def publish_forged(nc: NATS, envelopes: list[Envelope]) -> None:
    js = nc.jetstream(timeout=1)
    for envelope in envelopes:
        with contextlib.suppress(nats.errors.TimeoutError):  # refused by the broker: no PubAck
            await js.publish(
                envelope.type,
                envelope.model_dump_json().encode(),
                headers={"Nats-Msg-Id": str(envelope.id)},
            )
        await nc.publish(envelope.type, envelope.model_dump_json().encode())  # and without ack
    await nc.flush()


@pytest.fixture
async def platform(
    broker: NatsServer, databases: Any, namespace: str
) -> AsyncIterator[tuple[RunningService, RunningService]]:
    """jobs and subsidies, each connected as its own user, on the production permissions (the
    ``namespace`` fixture only empties the tables afterwards: this broker has no namespaces)."""
    settings = {
        svc: service_settings(svc, databases.url(svc), broker.url, "")
        for svc in ("jobs", "subsidies")
    }
    async with (
        running_service("jobs", settings["jobs"]) as jobs,
        running_service("subsidies", settings["subsidies"]) as subsidies,
    ):
        subsidies.runtime.clock = Clock(datetime(2020, 6, 1, tzinfo=UTC))
        yield jobs, subsidies


class TestForgedEvents:
    async def test_forged_employment_events_create_no_application(self, platform, broker, connect):
        jobs, subsidies = platform
        fund = await create_fund(subsidies)
        await create_program(subsidies, WORKSHOP, fund["id"])
        forged = forged_employment()

        # Without credentials (today's review: three applications, 60,000 fen).
        try:
            anonymous = await Client().connect(broker.url)
        except nats.errors.Error:
            anonymous = None  # refused, as it must be
        if anonymous is not None:
            await publish_forged(anonymous, forged)
            await anonymous.close()
        # As services that may connect but do not publish jobs events.
        for user in ("products", "subsidies", "gateway", "ops"):
            foreign = await connect(user)
            await publish_forged(foreign.nc, forged)

        # A real event from the jobs service, after the forged ones in the stream: once the
        # subsidies service has applied it, it has seen everything published before it.
        worker = await make_worker(jobs)

        async def worker_arrived() -> bool:
            async with subsidies.sessionmaker() as s:
                found = await s.scalar(
                    select(Worker).where(Worker.worker_id == uuid.UUID(worker["id"]))
                )
                return found is not None

        await wait_until(worker_arrived, timeout=30, what="the real worker event in subsidies")
        assert await applications(subsidies) == []
        async with subsidies.sessionmaker() as s:
            placement_id = uuid.UUID(forged[0].data["placement_id"])
            assert (
                await s.scalar(select(Placement).where(Placement.placement_id == placement_id))
                is None
            )
