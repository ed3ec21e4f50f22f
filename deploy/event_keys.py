"""Event-signing keys of the embedded run (`make run`): one Ed25519 key per publishing service,
generated on the first start and kept with the run's other secrets (deploy/secrets.py). Keys
must outlive a restart: events signed before it may still wait in the JetStream store.
Each service gets only its own private key, and every public key."""

import json
from collections.abc import Callable, Mapping

from deploy.topology import PUBLISHERS, READERS
from shared.events.signing import generate_keypair, public_key_of


def event_key_name(service: str) -> str:
    return f"event_signing_key_{service}"


def _private_key() -> str:
    return generate_keypair()[0]


# name in secrets.json → how to make a new value.
EVENT_KEY_GENERATORS: dict[str, Callable[[], str]] = {
    event_key_name(service): _private_key for service in PUBLISHERS
}


def signing_environment(secrets: Mapping[str, str], process: str) -> dict[str, str]:
    """The event-signing variables of one process: a publisher's own private key and every
    public key; a reader (the gateway's live feed) the public keys only; none for others."""
    public = {s: public_key_of(secrets[event_key_name(s)]) for s in PUBLISHERS}
    if process in READERS:
        return {"EW_EVENT_PUBLIC_KEYS": json.dumps(public)}
    if process not in PUBLISHERS:
        return {}
    return {
        "EW_EVENT_SIGNING_KEY": secrets[event_key_name(process)],
        "EW_EVENT_PUBLIC_KEYS": json.dumps(public),
    }
