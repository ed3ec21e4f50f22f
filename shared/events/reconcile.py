"""Reconciliation for when the broker lost acknowledged messages (RELIABILITY row 12).

The databases are the source of truth: every event a service ever published is still in its
outbox. ``python -m deploy.reconcile <service> --since-seq N`` marks the outbox rows after
sequence N as pending again; the service's running relay re-sends them. Re-sending is always safe:
the stream drops what it still holds (same ``Nats-Msg-Id``) and each consumer's inbox drops what
it already applied, so only the lost events take effect downstream.

To choose N: the last outbox ``seq`` whose event a downstream service is known to have applied
(e.g. from its inbox), or 0 to re-send everything.
"""

import argparse
import asyncio
from collections.abc import Mapping, Sequence

from shared.db import make_engine, make_sessionmaker
from shared.events.relay import republish_unconfirmed


async def reconcile(database_url: str, since_seq: int) -> int:
    engine = make_engine(database_url)
    try:
        async with make_sessionmaker(engine)() as session, session.begin():
            return await republish_unconfirmed(session, since_seq=since_seq)
    finally:
        await engine.dispose()


def main(publishers: Mapping[str, str], argv: Sequence[str] | None = None) -> None:
    """The command line of the composition root; ``publishers``: service → package."""
    from shared.migrations import load_settings

    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("service", choices=sorted(publishers))
    parser.add_argument(
        "--since-seq",
        type=int,
        default=0,
        help="re-send outbox rows after this sequence number (default: all)",
    )
    args = parser.parse_args(argv)
    settings = load_settings(publishers[args.service])
    count = asyncio.run(reconcile(settings.database_url, args.since_seq))
    print(f"{count} event(s) of {args.service} queued to be published again")
