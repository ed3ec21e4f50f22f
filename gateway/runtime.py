"""What the gateway holds for its lifetime: the pooled client, credential memory, rate limits."""

from typing import Any

import aiohttp
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker
from starlette.types import Scope

from gateway.auth import Authenticator
from gateway.config import GatewaySettings
from gateway.limits import FleetLimiter, PostgresBuckets
from gateway.proxy import Proxy
from gateway.security import IdentitySigner, client_address
from shared.runtime import Runtime


class GatewayRuntime(Runtime):
    """The gateway's runtime (``app.state.runtime``): the shared parts (database, clock) and
    what only the gateway has."""

    def __init__(
        self,
        settings: GatewaySettings,
        http: aiohttp.ClientSession,
        engine: AsyncEngine,
        sessionmaker: async_sessionmaker[AsyncSession],
        head_revision: str | None,
        known_revisions: frozenset[str] = frozenset(),
    ) -> None:
        super().__init__(
            engine=engine,
            sessionmaker=sessionmaker,
            head_revision=head_revision,
            known_revisions=known_revisions,
        )
        self.settings = settings
        self.http = http
        # The limits hold for the whole fleet of gateways, in the gateway's PostgreSQL database
        # (gateway/limits.py); on SQLite (one development process) this process's are the fleet's.
        self.buckets = PostgresBuckets(engine) if engine.dialect.name == "postgresql" else None
        self.auth = Authenticator(settings, sessionmaker, store=self.buckets)
        if self.buckets is not None:
            # Until this replica hears of revocations (CredentialListener), it remembers nothing.
            self.auth.trust_memory(False)
        self.limiter = FleetLimiter(
            "rate", settings.rate_limit_per_second, settings.rate_limit_burst, self.buckets
        )
        # Logins are tried by people, not machines: a much smaller budget per client address
        # slows password guessing (argon2 makes each guess costly as well).
        self.login_limiter = FleetLimiter(
            "login", settings.login_rate_per_second, settings.login_burst, self.buckets, lease=1
        )
        self.signer = IdentitySigner(settings.identity_secret.get_secret_value())
        self.upstreams = settings.upstreams()
        self.trusted_proxies = settings.trusted_networks()
        self.proxy = Proxy(self)
        self.openapi_cache: dict[str, Any] = {}

    def upstream_for(self, path: str) -> tuple[str, str] | None:
        """(service, base URL) owning ``/v1/<service>`` or ``/v1/<service>/…``; else None."""
        if not path.startswith("/v1/"):
            return None
        service = path[4:].split("/", 1)[0]
        base = self.upstreams.get(service)
        return (service, base) if base is not None else None

    def client_address(self, scope: Scope) -> str:
        """The caller's address, by which failure budgets and anonymous rate limits are kept:
        the connection's peer, or what a trusted proxy says in X-Forwarded-For."""
        peer: str = (scope.get("client") or ("unknown", 0))[0]
        if not self.trusted_proxies:
            return peer
        forwarded = (v.decode("latin-1") for k, v in scope["headers"] if k == b"x-forwarded-for")
        return client_address(peer, forwarded, self.trusted_proxies)
