"""Handlers are registered by event type with the model of the payload they read: the runner
validates the event's data into that model, so no handler parses a payload by hand."""

import pytest
from pydantic import BaseModel, ValidationError

from shared.events import Envelope, Subscription


class NoteRead(BaseModel):
    note_id: str


def test_a_handler_is_registered_with_the_model_of_its_payload_parameter():
    sub = Subscription(durable="reader", publisher="kit")

    @sub.handles("kit.note.written")
    async def on_note(session, event: NoteRead, envelope: Envelope) -> None:
        pass

    assert sub.models() == {"kit.note.written": NoteRead}
    registration = sub.handlers["kit.note.written"]
    assert registration.handler is on_note
    envelope = Envelope(type="kit.note.written", source="kit", data={"note_id": "n1", "x": 1})
    assert registration.parse(envelope) == NoteRead(note_id="n1")
    with pytest.raises(ValidationError):  # the runner dead-letters it as "invalid data"
        registration.parse(Envelope(type="kit.note.written", source="kit", data={"body": "b"}))


def test_a_handler_without_a_payload_model_is_refused_when_registered():
    sub = Subscription(durable="reader", publisher="kit")
    with pytest.raises(TypeError, match="pydantic model"):

        @sub.handles("kit.note.written")
        async def untyped(session, envelope) -> None:
            pass

    with pytest.raises(TypeError, match="pydantic model"):

        @sub.handles("kit.note.written")
        async def loose(session, event: dict, envelope) -> None:
            pass

    assert sub.handlers == {}


def test_one_handler_per_event_type():
    sub = Subscription(durable="reader", publisher="kit")

    @sub.handles("kit.note.written")
    async def first(session, event: NoteRead, envelope) -> None:
        pass

    with pytest.raises(ValueError, match=r"already handles kit\.note\.written"):

        @sub.handles("kit.note.written")
        async def second(session, event: NoteRead, envelope) -> None:
            pass
