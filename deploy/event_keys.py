"""Event-signing keys of the embedded run (`make run`): one Ed25519 key per publishing service,
generated on the first start and kept with the run's other secrets in ``<data dir>/secrets.json``
(mode 0600, never printed). Keys must outlive a restart: events signed before it may still wait
in the JetStream store. Each service gets only its own private key, and every public key."""

import json
import os
from collections.abc import Callable, Mapping
from pathlib import Path

from shared.events.signing import generate_keypair, public_key_of
from shared.events.streams import PUBLISHERS

SECRETS_FILE = "secrets.json"


def event_key_name(service: str) -> str:
    return f"event_signing_key_{service}"


def _private_key() -> str:
    return generate_keypair()[0]


# name in secrets.json → how to make a new value.
EVENT_KEY_GENERATORS: dict[str, Callable[[], str]] = {
    event_key_name(service): _private_key for service in PUBLISHERS
}


def signing_environment(secrets: Mapping[str, str], process: str) -> dict[str, str]:
    """The event-signing variables of one process (none for a process that publishes nothing)."""
    if process not in PUBLISHERS:
        return {}
    public = {s: public_key_of(secrets[event_key_name(s)]) for s in PUBLISHERS}
    return {
        "EW_EVENT_SIGNING_KEY": secrets[event_key_name(process)],
        "EW_EVENT_PUBLIC_KEYS": json.dumps(public),
    }


def load_or_create_event_keys(data_dir: Path) -> dict[str, str]:
    """The run's secrets with every event key present: missing ones are generated and saved;
    other secrets in the file are kept as they are."""
    path = data_dir / SECRETS_FILE
    values: dict[str, str] = json.loads(path.read_text()) if path.exists() else {}
    missing = {name: make() for name, make in EVENT_KEY_GENERATORS.items() if name not in values}
    if missing:
        values |= missing
        tmp = path.with_name(path.name + ".tmp")
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w") as f:
            f.write(json.dumps(values, indent=2, sort_keys=True) + "\n")
        os.chmod(tmp, 0o600)
        os.replace(tmp, path)
    return values
