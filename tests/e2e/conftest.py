"""The whole platform in one test process: each service and the gateway under its own uvicorn
server, on this run's PostgreSQL databases and nats-server, reached only through the gateway."""

from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

import httpx
import pytest

from gateway.app import create_app as create_gateway
from tests.support.apps import ADMIN_PASSWORD, RunningService, gateway_settings, running_service
from tests.support.infra import wait_until
from tests.support.servers import serve


@dataclass
class Platform:
    client: httpx.AsyncClient
    services: dict[str, RunningService]

    async def login(self, username: str, password: str) -> dict[str, str]:
        async def attempt() -> Any:
            r = await self.client.post(
                "/v1/auth/login", json={"username": username, "password": password}
            )
            return r.json()["access_token"] if r.status_code == 200 else None

        token = await wait_until(attempt, timeout=20, what=f"login of {username}")
        return {"Authorization": f"Bearer {token}"}

    async def admin(self) -> dict[str, str]:
        return await self.login("admin", ADMIN_PASSWORD)

    async def staff(self, admin: dict[str, str], username: str, role: str) -> dict[str, str]:
        password = f"{username}-password-0123"
        r = await self.client.post(
            "/v1/admin/users",
            headers=admin,
            json={"username": username, "password": password, "role": role},
        )
        assert r.status_code == 201, r.text
        return await self.login(username, password)

    async def api_key(
        self, admin: dict[str, str], role: str, subject_id: str | None = None
    ) -> dict[str, str]:
        body: dict[str, Any] = {"name": f"{role} key", "role": role}
        if subject_id:
            body["subject_id"] = subject_id
        r = await self.client.post("/v1/admin/api-keys", headers=admin, json=body)
        assert r.status_code == 201, r.text
        return {"Authorization": f"Bearer {r.json()['key']}"}


@pytest.fixture
async def platform(settings_for, databases) -> AsyncIterator[Platform]:  # type: ignore[no-untyped-def]
    async with (
        running_service("jobs", settings_for("jobs")) as jobs,
        running_service("products", settings_for("products")) as products,
        running_service("subsidies", settings_for("subsidies")) as subsidies,
        serve(jobs.app, lifespan="off") as jobs_server,
        serve(products.app, lifespan="off") as products_server,
        serve(subsidies.app, lifespan="off") as subsidies_server,
        serve(
            create_gateway(
                gateway_settings(
                    databases,
                    jobs_url=jobs_server.url,
                    products_url=products_server.url,
                    subsidies_url=subsidies_server.url,
                )
            ),
            proxy_headers=False,
        ) as gw,
        httpx.AsyncClient(base_url=gw.url, timeout=30) as client,
    ):
        yield Platform(client, {"jobs": jobs, "products": products, "subsidies": subsidies})
