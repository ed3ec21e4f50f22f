"""The dead-letter stream keeps the advisories of every publisher's stream. shared/ does not know
the publishers: each service names those it knows (from EW_EVENT_PUBLIC_KEYS, itself and those
it consumes), and the stream keeps the union, so a service that knows fewer never takes away
another's."""

from shared.events import ensure_dead_letter_stream, stream_name
from shared.events.streams import DEAD_LETTER_STREAM, DEAD_LETTER_SUBJECTS
from tests.support.apps import service_settings


def advisories(namespace: str, *publishers: str) -> list[str]:
    return sorted(
        f"{advisory}.{stream_name(p, namespace)}.>"
        for advisory in DEAD_LETTER_SUBJECTS
        for p in publishers
    )


async def test_the_dead_letter_stream_keeps_every_publisher_it_was_told_of(js, namespace):
    name = stream_name(DEAD_LETTER_STREAM, namespace)
    await ensure_dead_letter_stream(js, ["jobs", "products"], namespace=namespace)
    info = await js.stream_info(name)
    assert info.config.subjects == advisories(namespace, "jobs", "products")

    # A service that knows only itself (development without configured keys) adds, never removes.
    await ensure_dead_letter_stream(js, ["subsidies"], namespace=namespace)
    await ensure_dead_letter_stream(js, ["jobs"], namespace=namespace)
    info = await js.stream_info(name)
    assert info.config.subjects == advisories(namespace, "jobs", "products", "subsidies")


def test_a_service_knows_the_publishers_its_keys_name_itself_and_those_it_consumes():
    keys = service_settings("products", "sqlite+aiosqlite://", "nats://x", "")
    assert keys.event_publishers([]) == sorted({*keys.event_public_keys, "products"})
    assert "jobs" in keys.event_publishers([])
    bare = keys.model_copy(update={"event_public_keys": {}})
    assert bare.event_publishers([]) == ["products"]
    assert bare.event_publishers(["jobs"]) == ["jobs", "products"]
