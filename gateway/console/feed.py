"""The dashboard's live feed: platform activity as it happens, from the services' NATS events.

The gateway holds one core subscription per publisher (``jobs.>``, ``products.>``,
``subsidies.>``; its NATS user may read those subjects and nothing else, see
shared/events/permissions.py). Nothing is stored on the broker and nothing is replayed: the
feed shows what is published while someone watches, plus the last few items kept in memory.

Each message is checked as a consumer checks it (the publisher's signature, its source, its
subject) before anything of it is shown. Only the fields listed in :data:`SHOWN` leave this
module: events carry no personal data, and the feed keeps it that way by never passing on an
event's data as it is.

Each watching browser gets a :class:`Listener` with a bounded queue (the oldest item is dropped
when a slow client falls behind), and its stream ends at logout, at idle expiry or when its
login token expires. Without NATS the gateway works as before and the feed says it is offline.
"""

import asyncio
import contextlib
import json
from collections import deque
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import nats
import structlog
from nats.aio.client import Client as NATS
from nats.aio.msg import Msg
from pydantic import ValidationError

from gateway.console.formatting import china_time, yuan
from gateway.console.problems import N_
from shared.events.envelope import Envelope
from shared.events.permissions import connect_options
from shared.events.signing import SIGNATURE_HEADER, EventVerifier
from shared.events.streams import subject_for

log = structlog.get_logger("gateway.console.feed")

QUEUE_SIZE = 100  # items waiting per browser; beyond it the oldest is dropped
RECENT_SIZE = 20  # items shown when the dashboard opens
MAX_LISTENERS = 1000  # browsers watching at once, per gateway process

# What the feed shows of each event: a sentence and the (non-personal) fields it fills in.
SHOWN: dict[str, tuple[str, tuple[str, ...]]] = {
    "jobs.employer.registered": (N_("Employer registered: %(name)s"), ("name", "kind")),
    "jobs.worker.registered": (N_("Worker registered in %(township)s"), ("township",)),
    "jobs.posting.published": (
        N_("Job posting published: %(title)s, %(openings)s openings"),
        ("title", "openings", "district"),
    ),
    "jobs.posting.closed": (N_("Job posting closed"), ("status",)),
    "jobs.placement.started": (
        N_("Worker from %(township)s placed in a job"),
        ("township", "employer_kind"),
    ),
    "jobs.placement.month_confirmed": (N_("Month %(month)s of a placement confirmed"), ("month",)),
    "jobs.placement.ended": (N_("Placement ended"), ()),
    "jobs.training.completed": (N_("Training completed"), ()),
    "products.sale.recorded": (
        N_("Sale recorded: %(kg)s kg, %(yuan)s yuan"),
        ("total_grams", "total_fen"),
    ),
    "products.sale.corrected": (N_("Sale corrected: %(yuan)s yuan"), ("delta_fen", "kind")),
    "products.day.closed": (
        N_("Store day closed: %(sale_count)s sales, %(yuan)s yuan"),
        ("sale_count", "total_fen"),
    ),
    "subsidies.application.created": (
        N_("Subsidy application opened: %(program_code)s, %(yuan)s yuan"),
        ("program_code", "amount_fen", "township"),
    ),
    "subsidies.application.approved": (
        N_("Subsidy application approved: %(program_code)s, %(yuan)s yuan"),
        ("program_code", "amount_fen"),
    ),
    "subsidies.application.rejected": (
        N_("Subsidy application rejected: %(program_code)s"),
        ("program_code",),
    ),
    "subsidies.application.paid": (
        N_("Subsidy paid: %(program_code)s, %(yuan)s yuan"),
        ("program_code", "amount_fen"),
    ),
    "subsidies.application.failed": (
        N_("Subsidy payment failed: %(program_code)s, %(yuan)s yuan"),
        ("program_code", "amount_fen"),
    ),
}
OTHER = N_("Platform activity: %(type)s")
# Who sees what: every staff role that may open the dashboard sees every publisher's activity.
VISIBLE: dict[str, frozenset[str]] = {
    role: frozenset({"jobs", "products", "subsidies"})
    for role in ("bureau_clerk", "bureau_approver", "auditor", "admin")
}


@dataclass(frozen=True)
class Item:
    """One event as the feed keeps it: its type, source, time and the fields it may show."""

    id: str
    type: str
    source: str
    occurred_at: datetime
    fields: dict[str, Any]

    @classmethod
    def of(cls, envelope: Envelope) -> "Item":
        _sentence, names = SHOWN.get(envelope.type, (OTHER, ()))
        return cls(
            id=str(envelope.id),
            type=envelope.type,
            source=envelope.source,
            occurred_at=envelope.occurred_at,
            fields={n: envelope.data[n] for n in names if n in envelope.data},
        )


def _kg(grams: Any) -> str:
    """Grams as kilograms with three decimals, by integer arithmetic."""
    value = int(grams)
    sign = "-" if value < 0 else ""
    return f"{sign}{abs(value) // 1000}.{abs(value) % 1000:03d}"


def describe(item: Item, gettext: Callable[[str], str]) -> dict[str, str]:
    """The item as a browser shows it, in the reader's language."""
    sentence, _names = SHOWN.get(item.type, (OTHER, ()))
    values: dict[str, Any] = dict(item.fields) | {"type": item.type}
    money = next(
        (item.fields[k] for k in ("amount_fen", "total_fen", "delta_fen") if k in item.fields),
        None,
    )
    if money is not None:
        values["yuan"] = yuan(int(money))
    if "total_grams" in item.fields:
        values["kg"] = _kg(item.fields["total_grams"])
    try:
        text = gettext(sentence) % values
    except (KeyError, TypeError, ValueError):
        text = gettext(OTHER) % {"type": item.type}
    return {
        "id": item.id,
        "type": item.type,
        "source": item.source,
        "time": china_time(item.occurred_at),
        "text": text,
    }


@dataclass(eq=False)
class Listener:
    """One watching browser: its queue, its role and the session it belongs to."""

    session_key: str
    role: str
    queue: asyncio.Queue[Item | str] = field(
        default_factory=lambda: asyncio.Queue(maxsize=QUEUE_SIZE)
    )
    ended: asyncio.Event = field(default_factory=asyncio.Event)
    dropped: int = 0

    def offer(self, entry: Item | str) -> None:
        """Queue an item (or a status word); a full queue loses its oldest entry."""
        if isinstance(entry, Item) and entry.source not in VISIBLE.get(self.role, frozenset()):
            return
        while True:
            try:
                self.queue.put_nowait(entry)
                return
            except asyncio.QueueFull:
                with contextlib.suppress(asyncio.QueueEmpty):
                    self.queue.get_nowait()
                    self.dropped += 1

    async def next(self, wait_seconds: float) -> Item | str | None:
        """The next entry, or None after ``wait_seconds`` or once the listener has ended."""
        if self.ended.is_set():
            return None
        getter = asyncio.ensure_future(self.queue.get())
        ender = asyncio.ensure_future(self.ended.wait())
        done, pending = await asyncio.wait(
            {getter, ender}, timeout=wait_seconds, return_when=asyncio.FIRST_COMPLETED
        )
        for task in pending:
            task.cancel()
        if getter in done:
            return getter.result()
        return None


class ActivityFeed:
    """The gateway's subscription to the services' events and the browsers watching them."""

    def __init__(
        self,
        *,
        url: str,
        user: str,
        password: str,
        publishers: Iterable[str],
        verifier: EventVerifier,
        namespace: str = "",
    ) -> None:
        self.url = url
        self.user = user
        self.password = password
        self.publishers = tuple(publishers)
        self.verifier = verifier
        self.namespace = namespace
        self.connected = False
        self.recent: deque[Item] = deque(maxlen=RECENT_SIZE)
        self.listeners: set[Listener] = set()
        self._nc: NATS | None = None

    # -- watching -------------------------------------------------------------------------------
    def listen(self, session_key: str, role: str) -> Listener | None:
        """A new listener, or None when too many browsers are watching already."""
        if len(self.listeners) >= MAX_LISTENERS:
            return None
        listener = Listener(session_key=session_key, role=role)
        self.listeners.add(listener)
        return listener

    def forget(self, listener: Listener) -> None:
        self.listeners.discard(listener)

    def end_session(self, session_key: str) -> None:
        """Logout: the streams of that session end at once."""
        for listener in list(self.listeners):
            if listener.session_key == session_key:
                listener.ended.set()

    def recent_for(self, role: str) -> list[Item]:
        """The last items this role may see, newest first."""
        visible = VISIBLE.get(role, frozenset())
        return [item for item in reversed(self.recent) if item.source in visible]

    def _broadcast(self, entry: Item | str) -> None:
        if isinstance(entry, Item):
            self.recent.append(entry)
        for listener in list(self.listeners):
            listener.offer(entry)

    def _set_connected(self, connected: bool) -> None:
        if connected != self.connected:
            self.connected = connected
            self._broadcast("online" if connected else "offline")

    # -- receiving ------------------------------------------------------------------------------
    def accept(self, publisher: str, subject: str, body: bytes, signature: str | None) -> None:
        """Check a message as a consumer would and, when it is the publisher's own, show it."""
        problem = self.verifier.problem(publisher, body, signature)
        if problem is not None:
            log.warning("feed_message_refused", subject=subject, problem=problem)
            return
        try:
            envelope = Envelope.model_validate_json(body)
        except ValidationError:
            log.warning("feed_message_unreadable", subject=subject)
            return
        if envelope.source != publisher or subject != subject_for(envelope.type, self.namespace):
            log.warning("feed_message_misaddressed", subject=subject, source=envelope.source)
            return
        self._broadcast(Item.of(envelope))

    async def _subscribe(self, nc: NATS) -> None:
        for publisher in self.publishers:

            async def on_message(msg: Msg, publisher: str = publisher) -> None:
                signature = (msg.headers or {}).get(SIGNATURE_HEADER)
                self.accept(publisher, msg.subject, msg.data, signature)

            await nc.subscribe(subject_for(f"{publisher}.>", self.namespace), cb=on_message)
        await nc.flush()

    async def run(self) -> None:
        """Connect (retrying while NATS is away), subscribe, and keep the state known."""

        async def disconnected() -> None:
            self._set_connected(False)

        async def reconnected() -> None:
            self._set_connected(True)

        async def error(exc: Exception) -> None:
            log.warning("feed_nats_error", error=type(exc).__name__, detail=str(exc)[:200])

        delay = 0.2
        while self._nc is None:
            try:
                nc = await nats.connect(
                    self.url,
                    name="gateway-feed",
                    **connect_options(self.user, self.password),
                    allow_reconnect=True,
                    max_reconnect_attempts=-1,
                    reconnect_time_wait=0.5,
                    connect_timeout=2,
                    disconnected_cb=disconnected,
                    reconnected_cb=reconnected,
                    error_cb=error,
                )
                try:
                    await self._subscribe(nc)
                except Exception:
                    await nc.close()
                    raise
                self._nc = nc
            except Exception as exc:  # NATS not reachable: the console works, the feed waits
                log.warning("feed_nats_connect_failed", url=self.url, error=type(exc).__name__)
                await asyncio.sleep(delay)
                delay = min(delay * 2, 5.0)
        self._set_connected(True)
        log.info("feed_subscribed", publishers=list(self.publishers))

    async def close(self) -> None:
        for listener in list(self.listeners):
            listener.ended.set()
        if self._nc is not None:
            with contextlib.suppress(Exception):
                await self._nc.close()
        self.connected = False


def sse(event: str, data: Any) -> str:
    """One server-sent event (data as one line of JSON)."""
    return f"event: {event}\ndata: {json.dumps(data, ensure_ascii=False)}\n\n"
