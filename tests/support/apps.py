"""Run a service in-process for a test, with its lifespan (database, relay, consumers) running,
and call it over ASGI with an identity signed as the gateway would sign it."""

import importlib
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any

import httpx
from fastapi import FastAPI

from shared.identity import IDENTITY_HEADER, Identity, Role, sign_identity
from tests.support.infra import wait_until

TEST_IDENTITY_SECRET = "test-identity-secret-0123456789abcdef-0123"
TEST_PII_KEY = "test-pii-key-0123456789abcdef-0123456789"


def service_settings(service: str, database_url: str, nats_url: str, namespace: str,
                     **overrides: Any) -> Any:
    module = importlib.import_module(f"services.{service}.config")
    cls = next(v for k, v in vars(module).items()
               if k.endswith("Settings") and k != "ServiceSettings")
    values: dict[str, Any] = {
        "env": "test",
        "database_url": database_url,
        "nats_url": nats_url,
        "identity_secret": TEST_IDENTITY_SECRET,
        "pii_key": TEST_PII_KEY,
        "event_namespace": namespace,
        "relay_poll_seconds": 0.05,
        "consumer_retry_delay_seconds": 0.1,
        "consumer_max_deliver": 5,
        "log_json": True,
    } | overrides
    return cls.model_validate(values, by_name=True)


def identity_headers(role: Role, subject_id: str | None = None, *, principal_id: str | None = None,
                     kind: str = "api_key", name: str = "test") -> dict[str, str]:
    identity = Identity(principal_id=principal_id or str(uuid.uuid4()), kind=kind,  # type: ignore[arg-type]
                        role=role, subject_id=subject_id, name=name)
    return {IDENTITY_HEADER: sign_identity(identity, TEST_IDENTITY_SECRET)}


@dataclass
class RunningService:
    name: str
    app: FastAPI
    client: httpx.AsyncClient

    @property
    def sessionmaker(self) -> Any:
        return self.app.state.sessionmaker


@asynccontextmanager
async def running_service(service: str, settings: Any) -> AsyncIterator[RunningService]:
    module = importlib.import_module(f"services.{service}.app")
    app: FastAPI = module.create_app(settings)
    async with app.router.lifespan_context(app):
        await wait_until(lambda: app.state.messaging_ready.is_set(), timeout=20,
                         what=f"{service} messaging")
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url=f"http://{service}") as client:
            yield RunningService(service, app, client)
