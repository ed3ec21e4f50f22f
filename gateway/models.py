"""Tables of the gateway: staff users and API keys, on the gateway's own metadata, and the
schemas of its own API (login, admin)."""

import uuid
from datetime import datetime
from typing import Any

from pydantic import ConfigDict, model_validator
from sqlalchemy import CheckConstraint
from sqlmodel import Field, SQLModel

from shared.db import UTCDateTime, new_id, new_registry, utcnow
from shared.identity import ROLES, Role
from shared.validation import as_written

# Credentials bound to one organisation: the subject is a store id or a partner organisation id.
SUBJECT_ROLES: tuple[Role, ...] = ("partner", "store")
USERNAME_PATTERN = r"^[a-z0-9][a-z0-9._-]{2,63}$"
MIN_PASSWORD_LENGTH = 12
MAX_PASSWORD_LENGTH = 256  # argon2 takes any length; bound it so a body cannot cost minutes


class GatewayModel(SQLModel, registry=new_registry()):
    pass


metadata = GatewayModel.metadata


class Input(SQLModel):
    """Every request body of the gateway: unknown fields are refused (422), and values are taken
    only as JSON writes them (no 1 or "yes" for a flag, no "3" or 3.0 for a number)."""

    model_config = ConfigDict(extra="forbid")  # type: ignore[assignment]

    @model_validator(mode="before")
    @classmethod
    def _as_written(cls, data: Any) -> Any:
        return as_written(cls, data)


# --- users -----------------------------------------------------------------------------------


class UserBase(SQLModel):
    username: str = Field(
        min_length=3,
        max_length=64,
        schema_extra={"pattern": USERNAME_PATTERN},  # Field(regex=) is not enforced by SQLModel
        description="Lower-case login name: letters, digits, `.`, `_`, `-`.",
    )
    display_name: str = Field(default="", max_length=200)
    role: Role = Field(
        description="A staff role (bureau_clerk, bureau_approver, auditor, admin), or `partner` "
        "(an HR person of a Haizhu partner) or `store` (a store manager), bound to their "
        "organisation by `subject_id`."
    )
    subject_id: uuid.UUID | None = Field(
        default=None,
        description="For `partner` and `store` users: the partner organisation or the store "
        "they act for (it must exist). Empty for staff.",
    )


class UserCreate(UserBase, Input):
    password: str = Field(
        min_length=MIN_PASSWORD_LENGTH,
        max_length=MAX_PASSWORD_LENGTH,
        description=f"At least {MIN_PASSWORD_LENGTH} characters.",
    )

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "username": "li.clerk",
                    "display_name": "Li Na",
                    "role": "bureau_clerk",
                    "password": "correct horse battery staple",
                }
            ]
        },
    )

    @model_validator(mode="after")
    def _subject_matches_role(self) -> "UserCreate":
        check_subject(self.role, self.subject_id)
        return self


class UserUpdate(Input):
    display_name: str | None = Field(default=None, max_length=200)
    role: Role | None = Field(
        default=None,
        description="A new role. To `partner` or `store`, `subject_id` must come with it; to a "
        "staff role, the user's organisation is dropped.",
    )
    subject_id: uuid.UUID | None = Field(
        default=None, description="The organisation of a `partner` or `store` user."
    )
    disabled: bool | None = Field(
        default=None, description="A disabled user cannot log in; tokens stop working."
    )
    password: str | None = Field(
        default=None, min_length=MIN_PASSWORD_LENGTH, max_length=MAX_PASSWORD_LENGTH
    )

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={"examples": [{"disabled": True}]},
    )


def _in(column: str, values: tuple[str, ...]) -> str:
    return f"{column} IN ({', '.join(repr(v) for v in values)})"


class User(GatewayModel, table=True):
    __tablename__ = "users"
    # As for API keys: a partner or store user names its organisation, staff do not.
    __table_args__ = (
        CheckConstraint(_in("role", ROLES), name="role"),
        CheckConstraint(
            f"({_in('role', SUBJECT_ROLES)}) = (subject_id IS NOT NULL)", name="subject_binding"
        ),
    )

    id: uuid.UUID = Field(default_factory=new_id, primary_key=True)
    username: str = Field(max_length=64, unique=True)
    display_name: str = Field(default="", max_length=200)
    role: str = Field(max_length=32)
    subject_id: uuid.UUID | None = Field(default=None, index=True)
    password_hash: str = Field(max_length=256)
    disabled: bool = Field(default=False)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    updated_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    last_login_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    # Login tokens issued before this moment are refused: set when the password changes, so a
    # reset ends every session of the account.
    tokens_valid_after: datetime | None = Field(default=None, sa_type=UTCDateTime)


class UserPublic(SQLModel):
    id: uuid.UUID
    username: str
    display_name: str
    role: Role
    subject_id: uuid.UUID | None
    disabled: bool
    created_at: datetime
    last_login_at: datetime | None


# --- API keys --------------------------------------------------------------------------------


class ApiKeyBase(SQLModel):
    name: str = Field(
        min_length=1,
        max_length=200,
        description="What the key is for, e.g. the store's till system.",
    )
    role: Role
    subject_id: uuid.UUID | None = Field(
        default=None,
        description="Store id for a `store` key, partner organisation id for a "
        "`partner` key; must be empty for other roles.",
    )


class ApiKeyCreate(ApiKeyBase, Input):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "name": "Weng'an flagship store till",
                    "role": "store",
                    "subject_id": "6f1c2a1e-4b7a-4c55-9d1e-0a3f0b9c2d11",
                }
            ]
        },
    )

    @model_validator(mode="after")
    def _subject_matches_role(self) -> "ApiKeyCreate":
        check_subject(self.role, self.subject_id)
        return self


def check_subject(role: str, subject_id: Any) -> None:
    if role in SUBJECT_ROLES and subject_id is None:
        raise ValueError(
            f"a '{role}' key or user must name its subject_id (the "
            f"{'store' if role == 'store' else 'partner organisation'} it acts for)"
        )
    if role not in SUBJECT_ROLES and subject_id is not None:
        raise ValueError(
            f"a '{role}' key or user acts for the bureau, not for one organisation: leave "
            "subject_id empty"
        )


class ApiKey(GatewayModel, table=True):
    __tablename__ = "api_keys"
    # The database holds the binding rule too: a store or partner key names its subject, others not.
    __table_args__ = (
        CheckConstraint(_in("role", ROLES), name="role"),
        CheckConstraint(
            f"({_in('role', SUBJECT_ROLES)}) = (subject_id IS NOT NULL)", name="subject_binding"
        ),
    )

    id: uuid.UUID = Field(default_factory=new_id, primary_key=True)
    # The visible part of the key (``ew_<prefix>_…``): finds the row and lets people tell keys
    # apart. The rest of the key is stored only as a SHA-256 hash.
    prefix: str = Field(max_length=16, unique=True)
    key_hash: str = Field(max_length=64)
    name: str = Field(max_length=200)
    role: str = Field(max_length=32)
    subject_id: uuid.UUID | None = Field(default=None, index=True)
    created_by: str = Field(max_length=100)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    revoked_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    revoked_by: str | None = Field(default=None, max_length=100)


class ApiKeyPublic(SQLModel):
    id: uuid.UUID
    prefix: str = Field(description="The key's visible prefix: `ew_<prefix>_…`.")
    name: str
    role: Role
    subject_id: uuid.UUID | None
    created_by: str
    created_at: datetime
    revoked_at: datetime | None


class ApiKeyCreated(ApiKeyPublic):
    key: str = Field(
        description="The API key. Shown this once only: store it now; the platform "
        "keeps only its hash."
    )


# --- login -----------------------------------------------------------------------------------


class LoginRequest(Input):
    username: str = Field(min_length=1, max_length=64)
    password: str = Field(min_length=1, max_length=MAX_PASSWORD_LENGTH)

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "username": "li.clerk",
                    "password": "correct horse battery staple",
                }
            ]
        },
    )


class PasswordChange(Input):
    current_password: str = Field(min_length=1, max_length=MAX_PASSWORD_LENGTH)
    new_password: str = Field(min_length=MIN_PASSWORD_LENGTH, max_length=MAX_PASSWORD_LENGTH)


class TokenResponse(SQLModel):
    access_token: str
    token_type: str = "bearer"  # noqa: S105 - the OAuth token type, not a secret
    expires_in: int = Field(description="Seconds until the token expires; log in again then.")


class IdentityPublic(SQLModel):
    principal_id: str
    kind: str
    role: Role
    subject_id: str | None
    name: str


class RateBucket(GatewayModel, table=True):
    """The fleet's token buckets (gateway/limits.py): one row per limited key (a credential, a
    client address), shared by every gateway replica. Times are the database's clock, in epoch
    seconds, so the replicas' clocks do not matter. UNLOGGED on PostgreSQL: a crash empties it,
    which only refills the buckets."""

    __tablename__ = "rate_buckets"

    key: str = Field(primary_key=True, max_length=300)
    tokens: float
    taken: int = 0
    updated_at: float
