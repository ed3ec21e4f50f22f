"""The console's way into the platform: the gateway's own API, called in-process over ASGI with
the signed-in person's login token, so authentication, roles, rate limits and every rule of the
services apply to the console exactly as to any other client."""

import asyncio
from typing import Any

import httpx

from gateway.console.problems import Problem

PAGE_SIZE = 200
MAX_EXPORT_PAGES = 250  # 50,000 rows: an export larger than this is cut (and says so)


class ApiError(Exception):
    def __init__(self, problem: Problem) -> None:
        super().__init__(f"{problem.status} {problem.code}: {problem.detail}")
        self.problem = problem


class _OwnContextTransport(httpx.ASGITransport):
    """Each call runs in a task of its own, so what the inner request binds to the logging
    context (its request id, its principal) stays out of the page's own request."""

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        return await asyncio.create_task(super().handle_async_request(request))


class Api:
    def __init__(
        self,
        app: Any,
        *,
        base_url: str,
        client_address: str,
        token: str | None,
        request_id: str | None = None,
    ) -> None:
        self._app = app
        self._base_url = base_url
        # The browser's address: the gateway keeps failed-login and anonymous budgets by it.
        self.client_address = client_address
        self._headers: dict[str, str] = {}
        if token:
            self._headers["Authorization"] = f"Bearer {token}"
        if request_id:
            self._headers["X-Request-ID"] = request_id

    def with_token(self, token: str) -> "Api":
        return Api(
            self._app,
            base_url=self._base_url,
            client_address=self.client_address,
            token=token,
            request_id=self._headers.get("X-Request-ID"),
        )

    def anonymous(self) -> "Api":
        """The same client without the person's token: for the public routes (the notice board
        and objections to it), which answer everyone alike, signed in or not."""
        return Api(
            self._app,
            base_url=self._base_url,
            client_address=self.client_address,
            token=None,
            request_id=self._headers.get("X-Request-ID"),
        )

    async def request(
        self,
        method: str,
        path: str,
        *,
        params: Any = None,
        json: Any = None,
        content: bytes | None = None,
        headers: dict[str, str] | None = None,
    ) -> httpx.Response:
        transport = _OwnContextTransport(app=self._app, client=(self.client_address, 0))
        async with httpx.AsyncClient(
            transport=transport, base_url=self._base_url, timeout=60
        ) as client:
            response = await client.request(
                method,
                path,
                params=params,
                json=json,
                content=content,
                headers=self._headers | (headers or {}),
            )
        if response.status_code >= 400:
            try:
                body = response.json()
            except ValueError:
                body = None
            raise ApiError(Problem.from_body(response.status_code, body))
        return response

    async def get(self, path: str, params: Any = None) -> Any:
        return (await self.request("GET", path, params=params)).json()

    async def post(self, path: str, json: Any = None, **kwargs: Any) -> Any:
        response = await self.request("POST", path, json=json, **kwargs)
        return response.json() if response.content else None

    async def page(
        self, path: str, params: dict[str, Any], cursor: str | None, limit: int = 50
    ) -> tuple[list[dict[str, Any]], str | None]:
        query = {k: v for k, v in params.items() if v not in (None, "")} | {"limit": limit}
        if cursor:
            query["cursor"] = cursor
        body = await self.get(path, query)
        return body["items"], body.get("next_cursor")

    async def everything(
        self, path: str, params: dict[str, Any]
    ) -> tuple[list[dict[str, Any]], bool]:
        """Every item of a list with these filters, all pages: (items, complete)."""
        items: list[dict[str, Any]] = []
        cursor: str | None = None
        for _ in range(MAX_EXPORT_PAGES):
            batch, cursor = await self.page(path, params, cursor, PAGE_SIZE)
            items.extend(batch)
            if not cursor:
                return items, True
        return items, False
