"""Secrets of the embedded run (`make run`): generated on the first start, then kept.

They live in ``<data dir>/secrets.json``, readable by the owner only (mode 0600); the launcher
never prints them and ``data/`` is never committed. Each secret has a generator in
:data:`GENERATORS`; a secret added to it later is generated on the next start, the others stay.
"""

import json
import os
import secrets
from collections.abc import Callable
from pathlib import Path

from deploy.event_keys import EVENT_KEY_GENERATORS
from deploy.topology import NATS_USERS

SECRETS_FILE = "secrets.json"


def nats_password_key(user: str) -> str:
    return f"nats_password_{user}"


def _token() -> str:
    return secrets.token_urlsafe(32)


# The key of the subsidies audit chain. It must never change: the chain written with it verifies
# only with it (services/subsidies/README.md).
AUDIT_KEY = "SUBSIDIES_AUDIT_KEY"

# name → how to make a new value. NATS: one password per process user (jobs, …, ops); one
# event-signing key per publishing service; the audit key.
GENERATORS: dict[str, Callable[[], str]] = (
    {nats_password_key(user): _token for user in NATS_USERS}
    | EVENT_KEY_GENERATORS
    | {AUDIT_KEY: _token}
)


def write_private(path: Path, text: str) -> None:
    """Write a file only its owner can read, replacing it whole (never half-written)."""
    tmp = path.with_name(path.name + ".tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as f:
        f.write(text)
    os.chmod(tmp, 0o600)  # also when the file existed with a wider mode
    os.replace(tmp, path)


def load_or_create_secrets(data_dir: Path) -> dict[str, str]:
    """The embedded run's secrets, generating (and saving) the ones not made yet."""
    path = data_dir / SECRETS_FILE
    values: dict[str, str] = json.loads(path.read_text()) if path.exists() else {}
    missing = {name: make() for name, make in GENERATORS.items() if name not in values}
    if missing:
        values |= missing
        write_private(path, json.dumps(values, indent=2, sort_keys=True) + "\n")
    elif path.stat().st_mode & 0o077:
        os.chmod(path, 0o600)
    return values
