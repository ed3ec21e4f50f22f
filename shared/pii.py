"""Personal data: validation, encryption at rest, keyed hashes for look-up, and masking.

National ID numbers (居民身份证号码, GB 11643-1999: 17 digits and a MOD 11-2 check character),
phone numbers and bank accounts are stored encrypted (AES-256-GCM) with a keyed hash
(HMAC-SHA256) to find duplicates, and shown only masked. Only the code paths that truly need the
clear value (a bank payment file, a labour-bureau officer viewing a worker) call ``decrypt``.
"""

import base64
import hashlib
import hmac
import os
import re
from datetime import date

from cryptography.hazmat.primitives.ciphers.aead import AESGCM

_ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_ID_CHECK = "10X98765432"
_ID_SHAPE = re.compile(r"^\d{17}[\dX]$")
_PHONE_SHAPE = re.compile(r"^1[3-9]\d{9}$")
_ACCOUNT_SHAPE = re.compile(r"^\d{12,30}$")


def national_id_check_char(first17: str) -> str:
    total = sum(int(d) * w for d, w in zip(first17, _ID_WEIGHTS, strict=True))
    return _ID_CHECK[total % 11]


def normalize_national_id(value: str) -> str:
    """The canonical form (upper-case X), or ValueError with a reason a person can act on."""
    candidate = value.strip().upper()
    if not _ID_SHAPE.match(candidate):
        raise ValueError("a national ID number has 18 characters: 17 digits and a final digit or X")
    try:
        date(int(candidate[6:10]), int(candidate[10:12]), int(candidate[12:14]))
    except ValueError as exc:
        raise ValueError("the birth date inside the national ID number is not a real date") from exc
    if national_id_check_char(candidate[:17]) != candidate[17]:
        raise ValueError(
            "the national ID number's check character does not match (MOD 11-2); "
            "check it for a typing error"
        )
    return candidate


def is_valid_national_id(value: str) -> bool:
    try:
        normalize_national_id(value)
    except ValueError:
        return False
    return True


def normalize_phone(value: str) -> str:
    candidate = re.sub(r"[\s-]", "", value)
    if candidate.startswith("+86"):
        candidate = candidate[3:]
    if not _PHONE_SHAPE.match(candidate):
        raise ValueError("a mobile number has 11 digits and starts with 13–19")
    return candidate


def normalize_account(value: str) -> str:
    candidate = re.sub(r"[\s-]", "", value)
    if not _ACCOUNT_SHAPE.match(candidate):
        raise ValueError("a bank account number has 12 to 30 digits")
    return candidate


def mask_national_id(value: str) -> str:
    return value[:3] + "*" * 11 + value[-4:]


def mask_phone(value: str) -> str:
    return value[:3] + "****" + value[-4:]


def mask_account(value: str) -> str:
    return "*" * (len(value) - 4) + value[-4:]


class PiiVault:
    """Encrypts, decrypts and hashes personal data with keys derived from one secret."""

    def __init__(self, secret: str) -> None:
        master = secret.encode()
        self._enc_key = hmac.new(master, b"eastwest/pii/encrypt/v1", hashlib.sha256).digest()
        self._hash_key = hmac.new(master, b"eastwest/pii/lookup/v1", hashlib.sha256).digest()
        self._aead = AESGCM(self._enc_key)

    def encrypt(self, plaintext: str, *, context: str) -> str:
        nonce = os.urandom(12)
        sealed = self._aead.encrypt(nonce, plaintext.encode(), context.encode())
        return "v1:" + base64.urlsafe_b64encode(nonce + sealed).decode()

    def decrypt(self, token: str, *, context: str) -> str:
        version, _, body = token.partition(":")
        if version != "v1":
            raise ValueError("unknown ciphertext version")
        raw = base64.urlsafe_b64decode(body)
        return self._aead.decrypt(raw[:12], raw[12:], context.encode()).decode()

    def lookup_hash(self, value: str, *, context: str) -> str:
        return hmac.new(self._hash_key, f"{context}:{value}".encode(), hashlib.sha256).hexdigest()
