"""JetStream streams: one per publishing service (``JOBS`` on ``jobs.>`` …) and one that keeps
the server's dead-letter advisories. Any process may ensure any stream: the configuration is
derived from the service name alone, so a consumer can start before its publisher. Which
services publish is not known here: the callers name them."""

import contextlib
from collections.abc import Iterable

import nats.js.errors
from nats.js import JetStreamContext
from nats.js.api import DiscardPolicy, RetentionPolicy, StorageType, StreamConfig

DUPLICATE_WINDOW_SECONDS = 6 * 3600  # covers a relay that is down for hours
MAX_MSG_SIZE = 1024 * 1024
DEAD_LETTER_STREAM = "DEADLETTERS"
DEAD_LETTER_SUBJECTS = [
    "$JS.EVENT.ADVISORY.CONSUMER.MAX_DELIVERIES",
    "$JS.EVENT.ADVISORY.CONSUMER.MSG_TERMINATED",
]


def stream_name(service: str, namespace: str = "") -> str:
    return f"{namespace.upper()}_{service.upper()}" if namespace else service.upper()


def subject_for(event_type: str, namespace: str = "") -> str:
    return f"{namespace}.{event_type}" if namespace else event_type


async def _add_or_update(js: JetStreamContext, config: StreamConfig) -> None:
    try:
        await js.add_stream(config)
    except nats.js.errors.BadRequestError as exc:
        # 10058: a stream with that name exists with another configuration.
        if exc.err_code != 10058:
            raise
        await js.update_stream(config)


async def ensure_stream(
    js: JetStreamContext, service: str, *, replicas: int = 1, namespace: str = ""
) -> str:
    name = stream_name(service, namespace)
    await _add_or_update(
        js,
        StreamConfig(
            name=name,
            description=f"Events published by the {service} service",
            subjects=[subject_for(f"{service}.>", namespace)],
            retention=RetentionPolicy.LIMITS,
            storage=StorageType.FILE,
            discard=DiscardPolicy.NEW,
            duplicate_window=DUPLICATE_WINDOW_SECONDS,
            deny_delete=True,
            deny_purge=True,
            max_msg_size=MAX_MSG_SIZE,
            num_replicas=replicas,
        ),
    )
    return name


async def ensure_dead_letter_stream(
    js: JetStreamContext, publishers: Iterable[str], *, replicas: int = 1, namespace: str = ""
) -> None:
    """Keep the dead-letter advisories of consumers on the streams of ``publishers``.

    Subjects already kept stay kept: a service that knows fewer publishers (in development,
    without configured keys, a service knows only itself and those it consumes) adds its own and
    never takes away another's."""
    name = stream_name(DEAD_LETTER_STREAM, namespace)
    # Advisory subjects end with <stream>.<consumer>: name this namespace's streams exactly.
    subjects = {
        f"{advisory}.{stream_name(service, namespace)}.>"
        for advisory in DEAD_LETTER_SUBJECTS
        for service in publishers
    }
    with contextlib.suppress(nats.js.errors.NotFoundError):
        subjects |= set((await js.stream_info(name)).config.subjects or [])
    await _add_or_update(
        js,
        StreamConfig(
            name=name,
            description="Advisories of messages that exhausted deliveries or were terminated",
            subjects=sorted(subjects),
            retention=RetentionPolicy.LIMITS,
            storage=StorageType.FILE,
            max_age=30 * 24 * 3600,
            num_replicas=replicas,
        ),
    )
