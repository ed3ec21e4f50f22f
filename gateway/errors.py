"""Errors of the gateway, on the shared hierarchy (rendered as problem+json by the one handler)."""

import uuid

from shared.errors import (
    AppError,
    Conflict,
    NotFound,
    PayloadTooLarge,
    TooManyRequests,
    Unauthorized,
    Unprocessable,
)


class CredentialRequired(Unauthorized):
    def __init__(self) -> None:
        super().__init__("Send an API key or a login token as `Authorization: Bearer <token>`.")
        self.headers["WWW-Authenticate"] = "Bearer"


class InvalidCredential(Unauthorized):
    def __init__(
        self,
        detail: str = "The API key or login token is not valid, has expired or has been revoked.",
    ) -> None:
        super().__init__(detail)
        self.headers["WWW-Authenticate"] = 'Bearer error="invalid_token"'


class InvalidLogin(Unauthorized):
    def __init__(self) -> None:
        super().__init__("Wrong username or password, or the account is disabled.")


class UsernameTaken(Conflict):
    def __init__(self, username: str) -> None:
        super().__init__(f"The username '{username}' is already taken; choose another.")


class UserNotFound(NotFound):
    def __init__(self, user_id: uuid.UUID) -> None:
        super().__init__("user", user_id)


class ApiKeyNotFound(NotFound):
    def __init__(self, key_id: uuid.UUID) -> None:
        super().__init__("API key", key_id)


class UnknownSubject(Unprocessable):
    """The ``subject_id`` of a new API key names nothing its role can act for."""

    code = "unknown-subject"

    def __init__(self, detail: str) -> None:
        super().__init__(
            detail,
            errors=[{"field": "subject_id", "message": detail, "type": "unknown_subject"}],
        )


class BodyTooLarge(PayloadTooLarge):
    def __init__(self, limit: int) -> None:
        super().__init__(
            f"The request body is larger than the limit of {limit} bytes.", limit_bytes=limit
        )


class RateLimited(TooManyRequests):
    def __init__(self, retry_after: int) -> None:
        super().__init__(
            f"Too many requests from this credential; retry in {retry_after} s.",
            retry_after_seconds=retry_after,
        )
        self.headers["Retry-After"] = str(retry_after)


class TooManyFailedCredentials(TooManyRequests):
    def __init__(self, retry_after: int) -> None:
        super().__init__(
            "Too many requests with an invalid credential from this address; "
            f"retry in {retry_after} s.",
            retry_after_seconds=retry_after,
        )
        self.headers["Retry-After"] = str(retry_after)


class UpstreamUnavailable(AppError):
    status, code, title = 503, "upstream-unavailable", "Service unavailable"

    def __init__(self, service: str) -> None:
        super().__init__(
            f"The {service} service cannot be reached right now; nothing was done. Retry later.",
            service=service,
        )
        self.headers["Retry-After"] = "5"


class UpstreamTimeout(AppError):
    status, code, title = 504, "upstream-timeout", "Service did not answer in time"

    def __init__(self, service: str) -> None:
        super().__init__(
            f"The {service} service did not answer in time. The request may or "
            "may not have taken effect: check before retrying, or retry with the "
            "same Idempotency-Key.",
            service=service,
        )


class BadGatewayPath(AppError):
    status, code, title = 400, "bad-path", "Bad request path"

    def __init__(self) -> None:
        super().__init__("The path has `.` or `..` segments; send the resolved path.")
