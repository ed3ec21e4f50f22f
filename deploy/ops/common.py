"""What every operator command shares: exit codes, the progress bar, output as a table or JSON,
one-line messages for what went wrong, and a NATS connection as the configured user."""

import argparse
import json
import sys
from collections.abc import AsyncIterator, Callable, Sequence
from contextlib import asynccontextmanager
from typing import Any

from pydantic import Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict

from shared.settings import CommonSettings

OK, FAILED, USAGE, UNREACHABLE = 0, 1, 2, 3


class Progress:
    """A progress bar on standard error for work in steps (standard output stays parseable)."""

    def __init__(self, total: int, label: str, stream: Any = None) -> None:
        self.total = max(1, total)
        self.label = label
        self.done = 0
        self.stream = stream or sys.stderr

    def step(self, what: str) -> None:
        self.done += 1
        width = 24
        filled = width * self.done // self.total
        bar = "#" * filled + "-" * (width - filled)
        print(f"{self.label} [{bar}] {self.done}/{self.total} {what}", file=self.stream, flush=True)


class ConfigurationError(Exception):
    """A setting is missing, invalid, or does not allow the command (exit 2)."""


def one_line(text: object, limit: int = 300) -> str:
    flat = " ".join(str(text).split())
    return flat if len(flat) <= limit else flat[: limit - 1] + "…"


def unreachable(exc: BaseException) -> bool:
    """Whether ``exc`` says a database or NATS could not be reached."""
    import asyncpg
    import nats.errors
    from sqlalchemy.exc import DBAPIError, InterfaceError, OperationalError

    if isinstance(exc, OSError | asyncpg.PostgresConnectionError | TimeoutError):
        return True
    if isinstance(exc, nats.errors.NoServersError | nats.errors.ConnectionClosedError):
        return True
    if isinstance(exc, OperationalError | InterfaceError):
        return True
    if isinstance(exc, DBAPIError):
        return isinstance(exc.orig, OSError) or "connect" in str(exc).lower()
    return False


def configuration_problem(exc: BaseException) -> str | None:
    """What is wrong with the settings, in one line, if that is what ``exc`` says."""
    from pydantic import ValidationError
    from sqlalchemy.exc import ArgumentError, NoSuchModuleError

    if isinstance(exc, ConfigurationError):
        return one_line(exc)
    if isinstance(exc, ValidationError):  # a process's settings, read from the environment
        return one_line("; ".join(f"{_variable(e['loc'])}: {e['msg']}" for e in exc.errors()))
    if isinstance(exc, ArgumentError | NoSuchModuleError):  # e.g. a database URL
        return one_line(exc)
    return None


def _variable(loc: tuple[int | str, ...]) -> str:
    """The environment variable a settings error is about: a field's alias (``JOBS_…``), or
    ``EW_<FIELD>`` for the settings every process shares; "settings" for the whole."""
    if not loc:
        return "settings"
    name = str(loc[0])
    return name if name.isupper() else f"EW_{name.upper()}"


def guarded(run: Callable[[], int | None]) -> int:
    """Run a command: its exit status. A setting missing or invalid gives one line and USAGE,
    a database or NATS out of reach one line and UNREACHABLE; anything else is a defect and
    keeps its traceback."""
    try:
        status = run()
    except SystemExit as exc:  # a wrapped command's own argparse or exit
        code = exc.code
        return code if isinstance(code, int) else (OK if code is None else FAILED)
    except Exception as exc:
        problem = configuration_problem(exc)
        if problem is not None:
            print(f"configuration: {problem}", file=sys.stderr)
            return USAGE
        if unreachable(exc):
            print(f"cannot connect: {one_line(exc) or type(exc).__name__}", file=sys.stderr)
            return UNREACHABLE
        raise
    return status or OK


def add_json_option(p: argparse.ArgumentParser) -> None:
    p.add_argument("--json", action="store_true", help="a JSON array instead of a table")


def emit(rows: Sequence[dict[str, Any]], columns: Sequence[str], as_json: bool) -> None:
    """Rows on standard output: tab-separated under a header line, or one JSON array."""
    if as_json:
        print(json.dumps(list(rows), default=str, ensure_ascii=False))
        return
    print("\t".join(columns))
    for row in rows:
        print("\t".join("-" if row[c] is None else str(row[c]) for c in columns), flush=True)


class NatsSettings(BaseSettings):
    """The settings of a command that needs NATS only (lag): a pod labelled ``app: ops`` holds
    the ``ops`` user's password and none of the processes' secrets. Same variables and
    defaults as :class:`~shared.settings.CommonSettings`."""

    model_config = SettingsConfigDict(env_prefix="EW_", extra="ignore")

    nats_url: str = CommonSettings.model_fields["nats_url"].default
    nats_user: str = ""
    nats_password: SecretStr = SecretStr("")
    event_namespace: str = Field(default="", pattern=r"^[a-z0-9]*$", max_length=30)


def load(package: str) -> Any:
    """The settings of a process (``services.jobs`` …) from the environment."""
    from shared.migrations import load_settings

    return load_settings(package)


@asynccontextmanager
async def nats_connection(settings: Any, name: str) -> AsyncIterator[Any]:
    """A connection as the settings' NATS user, not retried: an operator wants an answer. A
    request the user is not allowed to make is a configuration error (the wrong user)."""
    import nats

    from shared.events.permissions import connect_options

    refused: list[str] = []

    async def on_error(exc: Exception) -> None:
        if "permissions violation" in str(exc).lower():
            refused.append(str(exc))

    nc = await nats.connect(
        settings.nats_url,
        name=name,
        allow_reconnect=False,
        connect_timeout=3,
        max_reconnect_attempts=1,  # (0 would mean: forever)
        error_cb=on_error,
        **connect_options(settings.nats_user, settings.nats_password.get_secret_value()),
    )
    try:
        yield nc
    except Exception as exc:
        if refused:
            user = settings.nats_user or "(none)"
            raise ConfigurationError(f"NATS user {user} may not do this: {refused[0]}") from exc
        raise
    finally:
        await nc.close()
