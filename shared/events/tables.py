"""Plumbing tables each service keeps in its own database: outbox, inbox, dead letters and
idempotency keys. They are added to the service's own metadata, so its Alembic history owns them:
a change here is a migration in every service (``python -m deploy.migrate <svc> revision``).
"""

from sqlalchemy import (
    BigInteger,
    Column,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    PrimaryKeyConstraint,
    String,
    Table,
    Text,
)

from shared.db import UTCDateTime

# SQLite only autoincrements INTEGER PRIMARY KEY; PostgreSQL gets a 64-bit identity.
BigIntPK = BigInteger().with_variant(Integer(), "sqlite")


class EventTables:
    def __init__(self, metadata: MetaData) -> None:
        self.outbox = Table(
            "outbox",
            metadata,
            Column("seq", BigIntPK, primary_key=True, autoincrement=True),
            Column("event_id", String(36), nullable=False, unique=True),
            Column("subject", String(200), nullable=False),
            Column("payload", Text, nullable=False),
            Column("headers", Text, nullable=False, server_default="{}"),
            Column("created_at", UTCDateTime(), nullable=False),
            Column("published_at", UTCDateTime(), nullable=True),
            Column("stream_seq", BigInteger, nullable=True),
            Column("attempts", Integer, nullable=False, server_default="0"),
            Column("last_error", Text, nullable=True),
        )
        Index(
            "ix_outbox_pending",
            self.outbox.c.seq,
            postgresql_where=self.outbox.c.published_at.is_(None),
            sqlite_where=self.outbox.c.published_at.is_(None),
        )
        self.inbox = Table(
            "inbox",
            metadata,
            Column("consumer", String(100), nullable=False),
            Column("event_id", String(36), nullable=False),
            Column("event_type", String(200), nullable=False),
            Column("processed_at", UTCDateTime(), nullable=False),
            PrimaryKeyConstraint("consumer", "event_id"),
        )
        self.dead_letters = self._dead_letters(metadata)
        self.idempotency_keys = Table(
            "idempotency_keys",
            metadata,
            Column("scope", String(100), nullable=False),
            Column("key", String(200), nullable=False),
            Column("request_hash", String(64), nullable=False),
            Column("state", String(20), nullable=False),
            Column("status_code", Integer, nullable=True),
            Column("response_body", Text, nullable=True),
            Column("created_at", UTCDateTime(), nullable=False),
            PrimaryKeyConstraint("scope", "key"),
        )

    @staticmethod
    def _dead_letters(metadata: MetaData) -> Table:
        """What a consumer keeps of a message it gave up on (consumer.py, dead_letters.py)."""
        return Table(
            "dead_letters",
            metadata,
            Column("id", BigIntPK, primary_key=True, autoincrement=True),
            Column("consumer", String(100), nullable=False),
            Column("subject", String(200), nullable=False),
            Column("event_id", String(36), nullable=True),
            Column("stream_seq", BigInteger, nullable=True),
            Column("deliveries", Integer, nullable=False),
            Column("reason", Text, nullable=False),
            # Why, as one of shared.events.metrics.DEAD_LETTER_REASONS (unsigned, poison …).
            Column("kind", String(30), nullable=False),
            # The envelope's type, when it could be read.
            Column("event_type", String(200), nullable=True),
            # The message body exactly as received: a poison message may hold any bytes.
            Column("payload", LargeBinary, nullable=False),
            # Its NATS headers (JSON), the publisher's signature among them: a replay verifies it
            # again. None on letters kept before headers were (they cannot be replayed).
            Column("headers", Text, nullable=True),
            Column("created_at", UTCDateTime(), nullable=False),
            # When an operator replayed it (deploy.ops dead-letters replay), and the outcome:
            # applied, or duplicate when the inbox already held the event.
            Column("replayed_at", UTCDateTime(), nullable=True),
            Column("replay_outcome", String(20), nullable=True),
        )


def add_event_tables(metadata: MetaData) -> EventTables:
    return EventTables(metadata)
