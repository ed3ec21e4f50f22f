"""Publisher signatures (RELIABILITY row 29): the consumer applies only what the publishing
service signed, byte for byte, as that service, on that service's subjects. Everything else is
terminated and kept as a dead letter, with no effect; signed events keep flowing."""

import uuid

import pytest
from sqlalchemy import select

from shared.events import ConsumerRunner, Envelope
from shared.events.signing import (
    SIGNATURE_HEADER,
    EventSigner,
    EventVerifier,
    generate_keypair,
    public_key_of,
)
from shared.settings import ServiceSettings
from tests.events import kit
from tests.events.test_delivery import count, start_consumer, stop
from tests.support.events import (
    EVENT_PUBLIC_KEYS,
    counted_since,
    dead_letters_by_reason,
    event_private_key,
    publish_signed,
    signer,
)
from tests.support.infra import wait_until


def note(body: str, *, source: str = "kit", type_: str = "kit.note.written") -> Envelope:
    data = kit.NoteWritten(note_id=str(uuid.uuid4()), body=body).model_dump(mode="json")
    return Envelope(type=type_, source=source, data=data)


async def dead_letters(kit_sessions):
    async with kit_sessions() as s:
        return (await s.execute(select(kit.metadata.tables["dead_letters"]))).all()


class TestForgedEvents:
    async def test_forgeries_are_dead_lettered_with_no_effect_and_signed_events_flow(
        self, kit_sessions, js, namespace
    ):
        subject = f"{namespace}.kit.note.written"
        # No signature at all (anyone with access to NATS).
        await js.publish(subject, note("unsigned").model_dump_json().encode())
        # Signed, but with a key that is not the publisher's.
        stranger = EventSigner(generate_keypair()[0])
        body = note("stranger").model_dump_json().encode()
        await js.publish(subject, body, headers=stranger.headers(body))
        # A real service's valid signature, on another service's subject.
        await publish_signed(
            js, subject, note("from products").model_dump_json().encode(), publisher="products"
        )
        # The publisher's own signature over other bytes: the body was changed after signing.
        signed = note("original").model_dump_json().encode()
        tampered = signed.replace(b"original", b"tampered")
        await js.publish(subject, tampered, headers=signer("kit").headers(signed))
        # Signed by the stream's publisher, but claiming to be another service's event, or
        # another type than the subject it travels on.
        await publish_signed(
            js,
            subject,
            note("claims products", source="products").model_dump_json().encode(),
            publisher="kit",
        )
        await publish_signed(
            js,
            subject,
            note("other type", type_="kit.note.erased").model_dump_json().encode(),
            publisher="kit",
        )
        good = note("fine")
        await publish_signed(js, subject, good.model_dump_json().encode(), publisher="kit")

        before = dead_letters_by_reason("kit-effects")
        _runner, tasks = await start_consumer(kit_sessions, js, namespace)
        try:
            await wait_until(lambda: count(kit_sessions, good.data["note_id"]), what="good event")
            rows = await wait_until(
                lambda: _at_least(dead_letters(kit_sessions), 6), what="six dead letters"
            )
        finally:
            await stop(tasks)
        assert await count(kit_sessions) == 1  # only the signed event had an effect
        assert counted_since(before, dead_letters_by_reason("kit-effects")) == {
            "unsigned": 4,
            "misaddressed": 2,
        }
        assert sorted(r.reason for r in rows) == sorted(
            [
                "not signed by kit: no Ew-Signature header",
                "not signed by kit: signature does not verify with the kit key",
                "not signed by kit: signature does not verify with the kit key",
                "not signed by kit: signature does not verify with the kit key",
                "misaddressed: source 'products' on the kit stream",
                f"misaddressed: type 'kit.note.erased' published on subject '{subject}'",
            ]
        )
        # An unverified message is not read: not even its event id is taken from it.
        assert sum(r.event_id is None for r in rows) == 4

    async def test_a_consumer_without_the_publisher_key_refuses_to_start(self, kit_sessions, js):
        others = {k: v for k, v in EVENT_PUBLIC_KEYS.items() if k != "kit"}
        with pytest.raises(ValueError, match="no public key to verify events of kit"):
            ConsumerRunner(kit_sessions, js, [kit.subscription()], verifier=EventVerifier(others))


async def _at_least(rows_coro, n):
    rows = await rows_coro
    return rows if len(rows) >= n else None


class TestKeys:
    def test_signature_verifies_only_for_the_same_bytes_and_key(self):
        private, public = generate_keypair()
        body = b'{"id": 1}'
        signature = EventSigner(private).sign(body)
        keys = EventVerifier({"jobs": public})
        assert keys.problem("jobs", body, signature) is None
        assert keys.problem("jobs", body + b" ", signature) is not None
        assert keys.problem("products", body, signature) is not None
        assert keys.problem("jobs", body, None) == f"no {SIGNATURE_HEADER} header"
        assert keys.problem("jobs", body, "not base64!") == f"{SIGNATURE_HEADER} is not base64"

    def test_several_keys_of_one_publisher_are_accepted_for_rotation(self):
        old, new = generate_keypair(), generate_keypair()
        keys = EventVerifier({"jobs": f"{old[1]}, {new[1]}"})
        for private, _ in (old, new):
            assert keys.problem("jobs", b"x", EventSigner(private).sign(b"x")) is None

    def test_public_key_is_derived_from_the_private_seed(self):
        private, public = generate_keypair()
        assert public_key_of(private) == public
        assert EventSigner(private).public_key == public


class TestSettings:
    def _settings(self, **values):
        base = {
            "env": "production",
            "service_name": "jobs",
            "identity_secret": "x" * 40,
            "pii_key": "y" * 40,
        }
        return ServiceSettings.model_validate(base | values, by_name=True)

    def test_production_refuses_to_start_with_the_development_keys(self):
        without_private = self._settings(event_public_keys=EVENT_PUBLIC_KEYS)
        with pytest.raises(ValueError, match="EW_EVENT_SIGNING_KEY must be set"):
            without_private.check_event_keys(["subsidies"])
        without_public = self._settings(event_signing_key=event_private_key("jobs"))
        with pytest.raises(ValueError, match="EW_EVENT_PUBLIC_KEYS must name"):
            without_public.check_event_keys(["subsidies"])

    @pytest.mark.parametrize("bad", ["not base64!", "c2hvcnQ="])
    def test_malformed_keys_are_refused_naming_the_setting(self, bad):
        with pytest.raises(ValueError, match="EW_EVENT_SIGNING_KEY"):
            self._settings(event_signing_key=bad, event_public_keys=EVENT_PUBLIC_KEYS)
        with pytest.raises(ValueError, match=r"EW_EVENT_PUBLIC_KEYS\[jobs\]"):
            self._settings(event_signing_key=generate_keypair()[0], event_public_keys={"jobs": bad})

    def test_keys_that_cannot_work_together_fail_at_start_up(self):
        settings = self._settings(
            event_signing_key=generate_keypair()[0], event_public_keys=EVENT_PUBLIC_KEYS
        )
        with pytest.raises(ValueError, match="is not the key of jobs"):
            settings.check_event_keys(["subsidies"])
        own = self._settings(
            event_signing_key=event_private_key("jobs"),
            event_public_keys={"jobs": EVENT_PUBLIC_KEYS["jobs"]},
        )
        with pytest.raises(ValueError, match="has no key for subsidies"):
            own.check_event_keys(["subsidies"])
        own.check_event_keys(["jobs"])

    def test_development_keys_agree_with_each_other(self):
        dev = ServiceSettings.model_validate({"env": "development", "service_name": "jobs"})
        dev.check_event_keys(["jobs", "products", "subsidies"])
        body = b"{}"
        signature = EventSigner(dev.event_private_key()).sign(body)
        assert (
            EventVerifier(dev.event_public_key_map(["jobs"])).problem("jobs", body, signature)
            is None
        )
