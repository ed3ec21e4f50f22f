"""The event kit on real PostgreSQL and NATS: what RELIABILITY.md rows 1–8 promise."""

import asyncio
import os
import subprocess
import sys
import uuid

import pytest
from sqlalchemy import func, select, update

from shared.events import (
    ConsumerRunner,
    Envelope,
    OutboxRelay,
    Subscription,
    ensure_stream,
    stream_name,
)
from shared.events.outbox import outbox_t
from tests.events import kit
from tests.pii.plugin import scan_process_output
from tests.support.events import (
    counted_since,
    dead_letters_by_reason,
    metric_value,
    publish_signed,
    signer,
    verifier,
)
from tests.support.infra import NatsServer, connect_harness, free_port, wait_until

RUNNERS: list[ConsumerRunner] = []


async def start_consumer(kit_sessions, js, namespace, **kw):
    runner = ConsumerRunner(
        kit_sessions,
        js,
        [kit.subscription()],
        verifier=verifier(),
        namespace=namespace,
        retry_delay=0.05,
        ack_wait=1.0,
        max_deliver=kw.pop("max_deliver", 4),
    )
    tasks = await runner.start()
    return runner, tasks


async def stop(tasks):
    for t in tasks:
        t.cancel()
    await asyncio.gather(*tasks, return_exceptions=True)


async def count(kit_sessions, note_id=None):
    async with kit_sessions() as s:
        return await kit.effect_count(s, note_id)


async def pending_rows(kit_sessions):
    async with kit_sessions() as s:
        return await s.scalar(
            select(func.count()).select_from(outbox_t).where(outbox_t.c.published_at.is_(None))
        )


async def stream_messages(js, namespace):
    info = await js.stream_info(stream_name("kit", namespace))
    return info.state.messages


def run_kit(role, kit_db_url, nats_url, namespace, faults="", timeout=30, **env):
    environment = os.environ | {"EW_FAULTS": faults} | env
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "tests.events.kit",
            role,
            "--db",
            kit_db_url,
            "--nats",
            nats_url,
            "--namespace",
            namespace,
        ],
        capture_output=True,
        text=True,
        timeout=timeout,
        env=environment,
        check=False,
    )
    # Its output never reaches pytest's capture: the PII scan reads it here.
    scan_process_output(done.stdout + done.stderr, f"python -m tests.events.kit {role}")
    return done


class TestOutbox:
    async def test_event_reaches_consumer_exactly_once(self, kit_sessions, js, namespace):
        async with kit_sessions() as s, s.begin():
            note_id = await kit.write_note(s, "hello")
        relay = OutboxRelay(
            kit_sessions, js, service="kit", signer=signer("kit"), namespace=namespace
        )
        _runner, tasks = await start_consumer(kit_sessions, js, namespace)
        try:
            assert await relay.relay_once() == (1, False)
            await wait_until(lambda: count(kit_sessions, note_id), what="the effect")
            # The relay publishing the same row again (as after a crash) changes nothing.
            async with kit_sessions() as s, s.begin():
                await s.execute(update(outbox_t).values(published_at=None))
            assert await relay.relay_once() == (1, False)
            assert await stream_messages(js, namespace) == 1  # dropped by the duplicate window
            assert await count(kit_sessions, note_id) == 1
        finally:
            await stop(tasks)

    async def test_rolled_back_change_publishes_nothing(self, kit_sessions, js, namespace):
        with pytest.raises(RuntimeError):
            async with kit_sessions() as s, s.begin():
                await kit.write_note(s, "never")
                raise RuntimeError("the request failed after writing")
        relay = OutboxRelay(
            kit_sessions, js, service="kit", signer=signer("kit"), namespace=namespace
        )
        assert await relay.relay_once() == (0, False)
        assert await stream_messages(js, namespace) == 0

    async def test_events_keep_their_order(self, kit_sessions, js, namespace):
        async with kit_sessions() as s, s.begin():
            ids = [await kit.write_note(s, f"n{i}") for i in range(30)]
        await OutboxRelay(
            kit_sessions, js, service="kit", signer=signer("kit"), namespace=namespace
        ).relay_once()
        sub = await js.pull_subscribe(
            f"{namespace}.kit.>", durable="order-check", stream=stream_name("kit", namespace)
        )
        msgs = await sub.fetch(30, timeout=5)
        assert [Envelope.model_validate_json(m.data).data["note_id"] for m in msgs] == ids

    async def test_a_refused_row_stops_the_batch_there_and_is_sent_again(
        self, kit_sessions, js, namespace
    ):
        """A row the broker refuses (here: a subject no stream takes) stays pending with its
        error, and so does every row after it; the ones before it are marked. Once the row can
        be sent, it and the rest follow, each once."""
        async with kit_sessions() as s, s.begin():
            ids = [await kit.write_note(s, f"n{i}") for i in range(5)]
            seqs = (await s.execute(select(outbox_t.c.seq).order_by(outbox_t.c.seq))).scalars()
            seqs = list(seqs)
            real_subject = await s.scalar(
                select(outbox_t.c.subject).where(outbox_t.c.seq == seqs[2])
            )
            await s.execute(
                update(outbox_t).where(outbox_t.c.seq == seqs[2]).values(subject="nostream.x")
            )
        relay = OutboxRelay(
            kit_sessions, js, service="kit", signer=signer("kit"), namespace=namespace
        )
        assert await relay.relay_once() == (2, True)
        async with kit_sessions() as s:
            rows = {
                r.seq: r
                for r in await s.execute(
                    select(outbox_t.c.seq, outbox_t.c.published_at, outbox_t.c.last_error)
                )
            }
        assert [rows[q].published_at is not None for q in seqs] == [True, True, False, False, False]
        assert rows[seqs[2]].last_error
        async with kit_sessions() as s, s.begin():
            await s.execute(
                update(outbox_t).where(outbox_t.c.seq == seqs[2]).values(subject=real_subject)
            )
        assert await relay.relay_once() == (3, False)
        sub = await js.pull_subscribe(
            f"{namespace}.kit.>", durable="refused-check", stream=stream_name("kit", namespace)
        )
        msgs = await sub.fetch(10, timeout=2)
        received = [Envelope.model_validate_json(m.data).data["note_id"] for m in msgs]
        assert sorted(received) == sorted(ids)  # each once: re-sends dropped by the window


class TestCrashes:
    async def test_killed_between_commit_and_publish_delivers_after_restart(
        self, kit_db_url, kit_sessions, js, nats_url, namespace
    ):
        crashed = run_kit(
            "write-and-relay", kit_db_url, nats_url, namespace, faults="relay.before_publish"
        )
        assert crashed.returncode == 137, crashed.stderr
        note_id = crashed.stdout.strip()
        assert await pending_rows(kit_sessions) == 1  # committed, not published
        assert await stream_messages(js, namespace) == 0
        _runner, tasks = await start_consumer(kit_sessions, js, namespace)
        try:
            restarted = run_kit("relay", kit_db_url, nats_url, namespace)
            assert restarted.returncode == 0, restarted.stderr
            await wait_until(lambda: count(kit_sessions, note_id), what="the effect")
            assert await pending_rows(kit_sessions) == 0
            assert await count(kit_sessions, note_id) == 1
        finally:
            await stop(tasks)

    async def test_killed_after_publish_before_marking_is_not_duplicated(
        self, kit_db_url, kit_sessions, js, nats_url, namespace
    ):
        crashed = run_kit(
            "write-and-relay", kit_db_url, nats_url, namespace, faults="relay.after_publish"
        )
        assert crashed.returncode == 137, crashed.stderr
        note_id = crashed.stdout.strip()
        assert await pending_rows(kit_sessions) == 1
        assert await stream_messages(js, namespace) == 1
        restarted = run_kit("relay", kit_db_url, nats_url, namespace)
        assert restarted.returncode == 0, restarted.stderr
        assert await pending_rows(kit_sessions) == 0
        assert await stream_messages(js, namespace) == 1  # the re-send was dropped
        _runner, tasks = await start_consumer(kit_sessions, js, namespace)
        try:
            await wait_until(lambda: count(kit_sessions, note_id), what="the effect")
            assert await count(kit_sessions, note_id) == 1
        finally:
            await stop(tasks)

    async def test_consumer_killed_after_commit_before_ack_has_one_effect(
        self, kit_db_url, kit_sessions, js, nats_url, namespace
    ):
        async with kit_sessions() as s, s.begin():
            note_id = await kit.write_note(s, "once")
        await OutboxRelay(
            kit_sessions, js, service="kit", signer=signer("kit"), namespace=namespace
        ).relay_once()
        crashed = run_kit(
            "consume", kit_db_url, nats_url, namespace, faults="consumer.after_commit"
        )
        assert crashed.returncode == 137, crashed.stderr
        assert await count(kit_sessions, note_id) == 1  # committed before the crash
        survivor = run_kit("consume", kit_db_url, nats_url, namespace, KIT_CONSUME_SECONDS="3")
        assert survivor.returncode == 0, survivor.stderr
        assert await count(kit_sessions, note_id) == 1  # the redelivery hit the inbox
        info = await js.consumer_info(stream_name("kit", namespace), "kit-effects")
        assert info.num_ack_pending == 0 and info.num_pending == 0
        assert info.delivered.consumer_seq >= 2  # it really was delivered again


class TestRedelivery:
    async def test_same_event_three_times_has_one_effect(self, kit_sessions, js, namespace):
        envelope = Envelope.wrap(kit.NoteWritten(note_id=str(uuid.uuid4()), body="x"), source="kit")
        for _ in range(3):  # distinct Nats-Msg-Id: the stream keeps all three
            await publish_signed(
                js,
                f"{namespace}.kit.note.written",
                envelope.model_dump_json().encode(),
                publisher="kit",
                headers={"Nats-Msg-Id": uuid.uuid4().hex},
            )
        assert await stream_messages(js, namespace) == 3
        _runner, tasks = await start_consumer(kit_sessions, js, namespace)
        try:
            info = await wait_until(lambda: _all_acked(js, namespace, 3), what="three acks")
            assert info.num_ack_pending == 0
            assert await count(kit_sessions) == 1
        finally:
            await stop(tasks)

    async def test_poison_events_become_dead_letters_and_later_events_flow(
        self, kit_sessions, js, namespace
    ):
        subject = f"{namespace}.kit.note.written"
        await publish_signed(js, subject, b"{not json", publisher="kit")
        bad_data = Envelope(type="kit.note.written", source="kit", data={"body": "no id"})
        await publish_signed(js, subject, bad_data.model_dump_json().encode(), publisher="kit")
        poison = Envelope.wrap(
            kit.NoteWritten(note_id=str(uuid.uuid4()), body="poison"), source="kit"
        )
        await publish_signed(js, subject, poison.model_dump_json().encode(), publisher="kit")
        good = kit.NoteWritten(note_id=str(uuid.uuid4()), body="fine")
        good_body = Envelope.wrap(good, source="kit").model_dump_json().encode()
        await publish_signed(js, subject, good_body, publisher="kit")
        before = dead_letters_by_reason("kit-effects")
        _runner, tasks = await start_consumer(kit_sessions, js, namespace)
        try:
            await wait_until(lambda: count(kit_sessions, good.note_id), what="the good event")
            await wait_until(lambda: _dead_letters(kit_sessions, 3), what="three dead letters")
            info = await wait_until(lambda: _all_acked(js, namespace, 4), what="all settled")
            assert info.num_ack_pending == 0
            async with kit_sessions() as s:
                rows = (await s.execute(select(kit.metadata.tables["dead_letters"]))).all()
            reasons = sorted(r.reason.split(":")[0] for r in rows)
            assert reasons == [
                "a note with body 'poison' can never be applied",
                "invalid data",
                "invalid envelope",
            ]
            assert counted_since(before, dead_letters_by_reason("kit-effects")) == {
                "invalid_envelope": 1,
                "invalid_data": 1,
                "poison": 1,
            }
        finally:
            await stop(tasks)

    async def test_any_bytes_are_kept_in_the_dead_letter(self, kit_sessions, js, namespace):
        # PostgreSQL text refuses NUL and invalid UTF-8: such a poison message used to be
        # redelivered until it ran out of deliveries, and no dead letter was ever kept.
        subject = f"{namespace}.kit.note.written"
        signed = b'{"id": "\x00", "type": "kit.note.written", "data": "\xff\xfe\x00"}'
        await publish_signed(js, subject, signed, publisher="kit")
        unsigned = b"\x00\xc3\x28 not utf-8, not signed"
        await js.publish(subject, unsigned)
        good = kit.NoteWritten(note_id=str(uuid.uuid4()), body="fine")
        good_body = Envelope.wrap(good, source="kit").model_dump_json().encode()
        await publish_signed(js, subject, good_body, publisher="kit")
        before = dead_letters_by_reason("kit-effects")
        _runner, tasks = await start_consumer(kit_sessions, js, namespace)
        try:
            await wait_until(lambda: _dead_letters(kit_sessions, 2), what="two dead letters")
            await wait_until(lambda: count(kit_sessions, good.note_id), what="the good event")
        finally:
            await stop(tasks)
        async with kit_sessions() as s:
            table = kit.metadata.tables["dead_letters"]
            rows = (await s.execute(select(table).order_by(table.c.id))).all()
        assert [(r.payload, r.reason.split(":")[0]) for r in rows] == [
            (signed, "invalid envelope"),
            (unsigned, "not signed by kit"),
        ]
        assert counted_since(before, dead_letters_by_reason("kit-effects")) == {
            "unsigned": 1,
            "invalid_envelope": 1,
        }

    async def test_transient_failure_is_retried_then_dead_lettered(
        self, kit_sessions, js, namespace
    ):
        sub = Subscription(durable="kit-flaky", publisher="kit")
        attempts = 0

        @sub.handles("kit.note.written")
        async def flaky(session, event: kit.NoteWritten, envelope):
            nonlocal attempts
            attempts += 1
            raise ConnectionError("downstream not ready")

        runner = ConsumerRunner(
            kit_sessions,
            js,
            [sub],
            verifier=verifier(),
            namespace=namespace,
            retry_delay=0.01,
            ack_wait=1.0,
            max_deliver=3,
        )
        tasks = await runner.start()
        try:
            envelope = Envelope.wrap(kit.NoteWritten(note_id="n", body="b"), source="kit")
            await publish_signed(
                js,
                f"{namespace}.kit.note.written",
                envelope.model_dump_json().encode(),
                publisher="kit",
            )
            await wait_until(lambda: _dead_letters(kit_sessions, 1), what="the dead letter")
            assert attempts == 3
            assert await count(kit_sessions) == 0  # every failed attempt rolled back
        finally:
            await stop(tasks)


class TestBrokerFaults:
    async def test_writes_wait_in_outbox_while_nats_is_down(
        self, kit_sessions, namespace, tmp_path
    ):
        server = NatsServer(store_dir=tmp_path, port=free_port()).start()
        nc = await connect_harness(server.url, max_reconnect_attempts=-1, reconnect_time_wait=0.1)
        js = nc.jetstream()
        await ensure_stream(js, "kit", namespace=namespace)
        relay = OutboxRelay(
            kit_sessions,
            js,
            service="kit",
            signer=signer("kit"),
            namespace=namespace,
            publish_timeout=0.5,
            poll_seconds=0.05,
            max_backoff=0.2,
        )
        relay_task = asyncio.create_task(relay.run())
        try:
            server.kill()
            async with kit_sessions() as s, s.begin():  # writes still succeed
                ids = [await kit.write_note(s, f"down {i}") for i in range(5)]
            relay.wake()
            await wait_until(lambda: _attempted(kit_sessions), what="a failed publish")
            assert await pending_rows(kit_sessions) == 5
            server.start()  # same port, same store
            await wait_until(lambda: _no_pending(kit_sessions), timeout=20, what="the backlog")
            _runner, tasks = await start_consumer(kit_sessions, js, namespace)
            try:
                await wait_until(lambda: _counted(kit_sessions, 5), what="five effects")
                for note_id in ids:
                    assert await count(kit_sessions, note_id) == 1
            finally:
                await stop(tasks)
        finally:
            relay_task.cancel()
            await asyncio.gather(relay_task, return_exceptions=True)
            await nc.close()
            server.stop()

    async def test_two_relays_at_once_publish_each_row_once_in_order(
        self,
        kit_db_url,
        kit_engine,
        js,
        namespace,  # kit_engine: empties the tables after
    ):
        from shared.db import make_engine, make_sessionmaker

        engines = [make_engine(kit_db_url) for _ in range(2)]
        makers = [make_sessionmaker(e) for e in engines]
        async with makers[0]() as s, s.begin():
            ids = [await kit.write_note(s, f"r{i}") for i in range(200)]
        relays = [
            OutboxRelay(
                m, js, service="kit", signer=signer("kit"), namespace=namespace, batch_size=20
            )
            for m in makers
        ]
        try:
            counted_before = metric_value("ew_events_published_total", service="kit")

            async def drain(relay):
                total = 0
                while True:
                    sent, failed = await relay.relay_once()
                    assert not failed
                    total += sent
                    if sent == 0 and await pending_rows(makers[0]) == 0:
                        return total

            published = await asyncio.gather(*(drain(r) for r in relays))
            assert sum(published) == 200
            assert metric_value("ew_events_published_total", service="kit") == counted_before + 200
            async with makers[0]() as s:
                attempts = (await s.execute(select(outbox_t.c.attempts))).scalars().all()
            assert set(attempts) == {1}  # no row was sent twice
            sub = await js.pull_subscribe(
                f"{namespace}.kit.>", durable="two-relays", stream=stream_name("kit", namespace)
            )
            seen = []
            while len(seen) < 200:
                seen += [
                    Envelope.model_validate_json(m.data).data["note_id"]
                    for m in await sub.fetch(100, timeout=5)
                ]
            assert seen == ids
        finally:
            for e in engines:
                await e.dispose()


async def _all_acked(js, namespace, delivered):
    info = await js.consumer_info(stream_name("kit", namespace), "kit-effects")
    done = info.num_pending == 0 and info.num_ack_pending == 0
    return info if done and info.delivered.stream_seq >= delivered else None


async def _dead_letters(kit_sessions, n):
    async with kit_sessions() as s:
        table = kit.metadata.tables["dead_letters"]
        return await s.scalar(select(func.count()).select_from(table)) >= n


async def _attempted(kit_sessions):
    async with kit_sessions() as s:
        return await s.scalar(select(func.max(outbox_t.c.attempts))) or 0


async def _no_pending(kit_sessions):
    return await pending_rows(kit_sessions) == 0


async def _counted(kit_sessions, n):
    return await count(kit_sessions) >= n


class TestReconciliation:
    async def test_events_lost_by_the_broker_are_sent_again_and_applied_once(
        self, kit_db_url, kit_sessions, js, namespace
    ):
        from shared.events.reconcile import reconcile

        async with kit_sessions() as s, s.begin():
            ids = [await kit.write_note(s, f"lost {i}") for i in range(3)]
        relay = OutboxRelay(
            kit_sessions, js, service="kit", signer=signer("kit"), namespace=namespace
        )
        assert await relay.relay_once() == (3, False)
        # The broker loses the stream and everything in it (its store was lost).
        await js.delete_stream(stream_name("kit", namespace))
        await ensure_stream(js, "kit", namespace=namespace)
        assert await stream_messages(js, namespace) == 0
        _runner, tasks = await start_consumer(kit_sessions, js, namespace)
        try:
            assert await reconcile(kit_db_url, since_seq=0) == 3
            assert await relay.relay_once() == (3, False)
            await wait_until(lambda: _counted(kit_sessions, 3), what="three effects")
            # Reconciling again re-sends everything; nothing is applied twice.
            assert await reconcile(kit_db_url, since_seq=0) == 3
            assert await relay.relay_once() == (3, False)
            await wait_until(lambda: _all_acked(js, namespace, 3), what="all settled")
            for note_id in ids:
                assert await count(kit_sessions, note_id) == 1
        finally:
            await stop(tasks)


class TestRelayWakeUp:
    async def test_a_wake_during_a_cycle_starts_the_next_cycle_at_once(self) -> None:
        """A commit that wakes the relay while it publishes must not wait for the next poll."""
        from shared.events.relay import OutboxRelay

        class Probe(OutboxRelay):
            cycles = 0

            async def relay_once(self) -> tuple[int, bool]:
                self.cycles += 1
                if self.cycles == 1:
                    self.wake()  # a request commits while this cycle runs
                return 0, False

        relay = Probe(None, None, service="probe", signer=None, poll_seconds=30)  # type: ignore[arg-type]
        task = asyncio.create_task(relay.run())
        try:
            await asyncio.sleep(0.2)
            assert relay.cycles == 2  # the second cycle ran at once; the third waits for a poll
        finally:
            task.cancel()
            await asyncio.gather(task, return_exceptions=True)


class TestConsumerLoopSurvives:
    async def test_a_message_whose_handling_fails_does_not_stop_the_consumer(self) -> None:
        """The ack of a message can fail with the connection (NATS restarting): the consumer goes
        on with the next messages instead of its task dying in silence."""
        from shared.events.consumer import ConsumerRunner, Subscription

        handled: list[str] = []

        class Runner(ConsumerRunner):
            def __init__(self) -> None:  # only the loop is exercised
                self.batch = 10

            async def handle(self, sub, msg) -> None:  # type: ignore[no-untyped-def]
                if msg == "first":
                    raise ConnectionError("the ack was lost with the connection")
                handled.append(msg)

        class Fetcher:
            def __init__(self) -> None:
                self.batches = [["first", "second"], ["third"]]

            async def fetch(self, batch: int, timeout: float) -> list[str]:  # noqa: ASYNC109 - as nats-py names it
                if self.batches:
                    return self.batches.pop(0)
                await asyncio.sleep(timeout)
                raise TimeoutError

        task = asyncio.create_task(
            Runner()._loop(Subscription(durable="probe", publisher="kit"), Fetcher())  # type: ignore[arg-type]
        )
        try:
            for _ in range(100):
                if handled == ["second", "third"]:
                    break
                await asyncio.sleep(0.01)
            assert handled == ["second", "third"]
            assert not task.done()  # still consuming
        finally:
            task.cancel()
            await asyncio.gather(task, return_exceptions=True)
