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
from tests.support.events import EVENT_PUBLIC_KEYS, event_private_key
from tests.support.infra import TEST_NATS_PASSWORDS, wait_until

TEST_IDENTITY_SECRET = "test-identity-secret-0123456789abcdef-0123"
TEST_PII_KEY = "test-pii-key-0123456789abcdef-0123456789"
TEST_AUDIT_KEY = "test-audit-key-0123456789abcdef-012345678"
ADMIN_PASSWORD = "bootstrap-admin-password-0123"
DEAD_URL = "http://127.0.0.1:9"  # discard port: nothing listens there


def service_settings(
    service: str, database_url: str, nats_url: str, namespace: str, **overrides: Any
) -> Any:
    module = importlib.import_module(f"services.{service}.config")
    cls = next(
        v for k, v in vars(module).items() if k.endswith("Settings") and k != "ServiceSettings"
    )
    values: dict[str, Any] = {
        "env": "test",
        "database_url": database_url,
        "nats_url": nats_url,
        "nats_user": service,
        "nats_password": TEST_NATS_PASSWORDS[service],
        "identity_secret": TEST_IDENTITY_SECRET,
        "pii_key": TEST_PII_KEY,
        "event_signing_key": event_private_key(service),
        "event_public_keys": EVENT_PUBLIC_KEYS,
        "event_namespace": namespace,
        "relay_poll_seconds": 0.05,
        "consumer_retry_delay_seconds": 0.1,
        "consumer_max_deliver": 5,
        "log_json": True,
    }
    if service == "subsidies":
        values["audit_key"] = TEST_AUDIT_KEY
    return cls.model_validate(values | overrides, by_name=True)


def identity_headers(
    role: Role,
    subject_id: str | None = None,
    *,
    principal_id: str | None = None,
    kind: str = "api_key",
    name: str = "test",
) -> dict[str, str]:
    identity = Identity(
        principal_id=principal_id or str(uuid.uuid4()),
        kind=kind,  # type: ignore[arg-type]
        role=role,
        subject_id=subject_id,
        name=name,
    )
    return {IDENTITY_HEADER: sign_identity(identity, TEST_IDENTITY_SECRET)}


@dataclass
class RunningService:
    name: str
    app: FastAPI
    client: httpx.AsyncClient

    @property
    def runtime(self) -> Any:
        """The service's runtime: tests move its clock, read its settings and vault."""
        return self.app.state.runtime

    @property
    def sessionmaker(self) -> Any:
        return self.runtime.sessionmaker


@asynccontextmanager
async def running_service(
    service: str, settings: Any, *, wait_for_messaging: bool = True
) -> AsyncIterator[RunningService]:
    """Start the service; unless told not to, wait until its relay and consumers run."""
    module = importlib.import_module(f"services.{service}.app")
    app: FastAPI = module.create_app(settings)
    async with app.router.lifespan_context(app):
        if wait_for_messaging:
            await wait_until(
                lambda: app.state.runtime.messaging_ready.is_set(),
                timeout=20,
                what=f"{service} messaging",
            )
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url=f"http://{service}") as client:
            yield RunningService(service, app, client)


def gateway_settings(databases: Any, **overrides: Any) -> Any:
    """Settings of a gateway on this run's gateway database; upstreams given by the caller."""
    from gateway.config import GatewaySettings

    values: dict[str, Any] = {
        "env": "test",
        "database_url": databases.url("gateway"),
        "identity_secret": TEST_IDENTITY_SECRET,
        "pii_key": TEST_PII_KEY,
        "token_secret": "test-gateway-token-secret-0123456789abcdef",
        "bootstrap_admin_password": ADMIN_PASSWORD,
        "jobs_url": DEAD_URL,
        "products_url": DEAD_URL,
        "subsidies_url": DEAD_URL,
        "rate_limit_per_second": 1000.0,
        "rate_limit_burst": 1000,
        "credential_cache_seconds": 5.0,
        "log_json": True,
    } | overrides
    return GatewaySettings.model_validate(values, by_name=True)
