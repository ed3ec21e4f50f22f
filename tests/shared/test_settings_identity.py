from datetime import timedelta

import jwt
import pytest
from pydantic import ValidationError

from services.jobs.config import JobsSettings
from shared.errors import Unauthorized
from shared.identity import AUDIENCE, ISSUER, Identity, sign_identity, verify_identity

SECRET = "s" * 40


class TestSettings:
    def test_development_defaults_are_refused_in_production(self):
        with pytest.raises(ValidationError, match="EW_IDENTITY_SECRET must be set"):
            JobsSettings(env="production")

    def test_production_with_real_secrets(self):
        settings = JobsSettings(env="production", identity_secret="x" * 40, pii_key="y" * 40)
        assert settings.database_url.endswith("jobs.db")

    def test_unprefixed_variables_are_ignored(self, monkeypatch):
        monkeypatch.setenv("DATABASE_URL", "postgresql+asyncpg://someone-else@h/other")
        assert JobsSettings().database_url.endswith("jobs.db")

    def test_database_url_from_environment(self, monkeypatch):
        monkeypatch.setenv("JOBS_DATABASE_URL", "postgresql+asyncpg://u@h/jobs")
        assert JobsSettings().database_url == "postgresql+asyncpg://u@h/jobs"


class TestIdentityToken:
    identity = Identity(principal_id="k1", kind="api_key", role="store", subject_id="s1")

    def test_round_trip(self):
        assert verify_identity(sign_identity(self.identity, SECRET), SECRET) == self.identity

    def test_other_secret_refused(self):
        with pytest.raises(Unauthorized):
            verify_identity(sign_identity(self.identity, SECRET), "t" * 40)

    def test_expired_refused(self):
        from shared.db import utcnow

        claims = self.identity.model_dump() | {
            "aud": AUDIENCE,
            "iss": ISSUER,
            "exp": utcnow() - timedelta(seconds=1),
        }
        with pytest.raises(Unauthorized):
            verify_identity(jwt.encode(claims, SECRET, algorithm="HS256"), SECRET)

    def test_unsigned_refused(self):
        claims = self.identity.model_dump() | {"aud": AUDIENCE, "iss": ISSUER, "exp": 9999999999}
        with pytest.raises(Unauthorized):
            verify_identity(jwt.encode(claims, None, algorithm="none"), SECRET)

    @pytest.mark.parametrize(
        "change",
        [{"role": "superuser"}, {"kind": "robot"}, {"principal_id": None}],
        ids=["unknown-role", "unknown-kind", "no-principal"],
    )
    def test_signed_but_not_an_identity_is_unauthorized(self, change):
        # Correctly signed (a gateway of another version, a leaked secret): still refused as a
        # credential (401), not a crash.
        claims = self.identity.model_dump() | change | {"aud": AUDIENCE, "iss": ISSUER}
        claims["exp"] = 9999999999
        with pytest.raises(Unauthorized):
            verify_identity(jwt.encode(claims, SECRET, algorithm="HS256"), SECRET)
