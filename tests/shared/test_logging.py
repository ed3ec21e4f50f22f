"""The log scrubber masks personal data by what it is, and leaves identifiers whole: a request id
a user quotes must be found in the logs as they quote it."""

import json
import uuid

import httpx
import pytest
import structlog
from fastapi import FastAPI

from shared import observability
from shared.logging import configure_logging, scrub_text
from shared.observability import RequestContextMiddleware

PHONE_LIKE_REQUEST_ID = "13912345678"  # 11 digits starting 1[3-9]: shaped like a mobile number
# UUIDs whose digits look like a phone number ("138-0013-8000") or hold an 11-digit run.
UUIDS = ["0b9c7a1e-a138-0013-8000-1f2d3c4b5a69", "9a13912345678bcd0e1f2a3b4c5d6e7f"]
ID_NUMBER = "11010519491231002X"
PHONE = "13812345678"
ACCOUNT = "6222020200112233445"


def records(out: str) -> list[dict]:
    return [json.loads(line) for line in out.splitlines() if line.startswith("{")]


@pytest.fixture
def app(monkeypatch: pytest.MonkeyPatch) -> FastAPI:
    configure_logging("test")
    # The access logger caches its configuration on first use: take one made after this
    # test's configuration, so its lines reach this test's captured stdout.
    monkeypatch.setattr(observability, "log", structlog.get_logger("access"))
    app = FastAPI()
    app.add_middleware(RequestContextMiddleware, service="test")

    @app.get("/things/{thing_id}")
    async def thing(thing_id: uuid.UUID) -> dict[str, str]:
        structlog.get_logger("test").info(
            f"looked up {thing_id} for {PHONE}",
            thing_id=str(thing_id),
            note=f"id {ID_NUMBER}, account {ACCOUNT}",
            nested={"contact": [PHONE]},
        )
        return {"ok": "yes"}

    return app


async def get(app: FastAPI, path: str, headers: dict[str, str]) -> httpx.Response:
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
        return await client.get(path, headers=headers)


class TestRequestIds:
    async def test_phone_like_request_id_is_logged_and_answered_whole(self, app, capsys):
        capsys.readouterr()
        r = await get(app, f"/things/{UUIDS[0]}", {"X-Request-ID": PHONE_LIKE_REQUEST_ID})
        assert r.status_code == 200
        assert r.headers["x-request-id"] == PHONE_LIKE_REQUEST_ID
        lines = records(capsys.readouterr().out)
        access = next(x for x in lines if x.get("route") == "/things/{thing_id}")
        assert access["request_id"] == PHONE_LIKE_REQUEST_ID
        [found] = [x for x in lines if x["event"].startswith("looked up")]
        assert found["request_id"] == PHONE_LIKE_REQUEST_ID
        # The UUID stays whole in its field and in the message; the personal data does not.
        assert found["thing_id"] == UUIDS[0]
        assert found["event"].startswith(f"looked up {UUIDS[0]} for ")
        text = json.dumps(found)
        for secret in (PHONE, ID_NUMBER, ACCOUNT):
            assert secret not in text
        assert "138****5678" in found["event"] and found["nested"] == {"contact": ["138****5678"]}

    async def test_personal_data_in_an_identifier_field_that_is_not_an_id_is_masked(
        self, app, capsys
    ):
        capsys.readouterr()
        structlog.get_logger("test").info("x", request_id=f"phone {PHONE}", event_id=[PHONE])
        [line] = records(capsys.readouterr().out)
        assert PHONE not in json.dumps(line)


@pytest.mark.parametrize("identifier", UUIDS)
def test_uuids_in_text_stay_whole(identifier):
    assert scrub_text(f"application {identifier} approved") == f"application {identifier} approved"


def test_personal_data_next_to_a_uuid_is_still_masked():
    scrubbed = scrub_text(f"{UUIDS[0]} {PHONE} {UUIDS[1]}:{ACCOUNT},{ID_NUMBER}")
    assert scrubbed.startswith(UUIDS[0]) and UUIDS[1] in scrubbed
    for secret in (PHONE, ACCOUNT, ID_NUMBER):
        assert secret not in scrubbed
