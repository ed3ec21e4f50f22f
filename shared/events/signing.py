"""Publisher signatures on events (RELIABILITY row 29): a consumer applies only what the
publishing service itself signed, so an envelope forged by anyone else who reaches NATS has no
effect even where broker permissions are missing or wrong.

What is signed: exactly the message body that goes on the wire (the envelope's JSON bytes). The
relay puts an Ed25519 signature of those bytes, base64, in the NATS header ``Ew-Signature``. The
consumer verifies it with the public key of the service whose stream it reads, before it parses
anything, then checks that the envelope's ``source`` is that service and its ``type`` is the
subject it arrived on. A message that fails any check is terminated and kept as a dead letter.
Ed25519 is deterministic, so a re-sent outbox row carries the same signature.

Keys are base64 of the raw 32 bytes: the private seed in ``EW_EVENT_SIGNING_KEY`` (given only to
its own service) and the public keys in ``EW_EVENT_PUBLIC_KEYS`` (a JSON object, service → key;
several keys separated by commas are all accepted, for rotation). ``python -m
shared.events.signing`` prints a new key pair. In development both have defaults derived from a
fixed, public seed: they keep ``make run`` working on a fresh machine and protect nothing.
"""

import base64
import binascii
import hashlib
import json
from collections.abc import Iterable, Mapping

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

SIGNATURE_HEADER = "Ew-Signature"
KEY_BYTES = 32
DEV_SIGNING_SEED = "ew-development-event-signing-seed"  # public on purpose: development only


def _decode(value: str, what: str) -> bytes:
    try:
        raw = base64.b64decode(value.strip(), validate=True)
    except (binascii.Error, ValueError) as exc:
        raise ValueError(f"{what} is not base64") from exc
    if len(raw) != KEY_BYTES:
        raise ValueError(f"{what} must be base64 of {KEY_BYTES} bytes, not {len(raw)}")
    return raw


def _encode(raw: bytes) -> str:
    return base64.b64encode(raw).decode("ascii")


def _public_b64(key: Ed25519PrivateKey) -> str:
    return _encode(key.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw))


def generate_keypair() -> tuple[str, str]:
    """A new (private seed, public key) pair, both base64 of the raw 32 bytes."""
    seed = Ed25519PrivateKey.generate().private_bytes_raw()
    return _encode(seed), public_key_of(_encode(seed))


def derive_private_key(seed: str, service: str) -> str:
    """A deterministic private seed for ``service`` from a shared seed: for development and tests
    only, where every process must agree on the keys without being handed them."""
    return _encode(hashlib.sha256(f"{seed}:{service}".encode()).digest())


def public_key_of(private_key: str) -> str:
    return _public_b64(Ed25519PrivateKey.from_private_bytes(_decode(private_key, "private key")))


def check_private_key(value: str, what: str = "EW_EVENT_SIGNING_KEY") -> None:
    _decode(value, what)


def split_public_keys(value: str, what: str = "public key") -> list[str]:
    keys = [k.strip() for k in value.split(",") if k.strip()]
    if not keys:
        raise ValueError(f"{what} is empty")
    for key in keys:
        _decode(key, what)
    return keys


class EventSigner:
    """Signs message bodies with one service's private key."""

    def __init__(self, private_key: str) -> None:
        self._key = Ed25519PrivateKey.from_private_bytes(_decode(private_key, "private key"))
        self.public_key = _public_b64(self._key)

    def sign(self, body: bytes) -> str:
        return _encode(self._key.sign(body))

    def headers(self, body: bytes) -> dict[str, str]:
        return {SIGNATURE_HEADER: self.sign(body)}


class EventVerifier:
    """Verifies message bodies against the public keys of the publishing services."""

    def __init__(self, public_keys: Mapping[str, str]) -> None:
        self._keys: dict[str, list[Ed25519PublicKey]] = {
            service: [
                Ed25519PublicKey.from_public_bytes(_decode(k, f"public key of {service}"))
                for k in split_public_keys(value, f"public key of {service}")
            ]
            for service, value in public_keys.items()
        }

    def knows(self, publisher: str) -> bool:
        return publisher in self._keys

    def missing(self, publishers: Iterable[str]) -> list[str]:
        return sorted({p for p in publishers if p not in self._keys})

    def problem(self, publisher: str, body: bytes, signature: str | None) -> str | None:
        """Why ``body`` is not ``publisher``'s own, or None when its signature verifies."""
        keys = self._keys.get(publisher)
        if not keys:
            return f"no public key configured for publisher {publisher!r}"
        if not signature:
            return f"no {SIGNATURE_HEADER} header"
        try:
            raw = base64.b64decode(signature, validate=True)
        except (binascii.Error, ValueError):
            return f"{SIGNATURE_HEADER} is not base64"
        for key in keys:
            try:
                key.verify(raw, body)
            except InvalidSignature:
                continue
            return None
        return f"signature does not verify with the {publisher} key"


def dev_public_keys(services: Iterable[str]) -> dict[str, str]:
    return {s: public_key_of(derive_private_key(DEV_SIGNING_SEED, s)) for s in services}


def main() -> None:
    private, public = generate_keypair()
    print(json.dumps({"private_key": private, "public_key": public}))


if __name__ == "__main__":
    main()
