"""Finds personal data in clear: national ID numbers (18 characters whose MOD 11-2 check holds
and whose birth date is a date), and the mobile numbers and bank accounts the tests created.

ID numbers are recognised by their check character alone, whoever made them. Phones and accounts
have no check digit (any 11 digits starting 1[3-9] could be a phone), so a number of that shape
is only reported when the test run itself sent it to the platform: the scanner learns them from
the requests the tests make, and reports what it saw elsewhere once the run is over."""

import json
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from shared.pii import national_id_check_char

_ID = re.compile(r"(?<![0-9A-Za-z])\d{17}[\dXx](?![0-9A-Za-z])")
_PHONE = re.compile(r"(?<![\d])1[3-9]\d[ -]?\d{4}[ -]?\d{4}(?![\d])")
_ACCOUNT = re.compile(r"(?<![\d])\d{12,30}(?![\d])")
# Fields of a request body that hold a phone or an account (an ID is known by its check).
_PHONE_KEYS = ("phone", "mobile")
_ACCOUNT_KEYS = ("account",)
# A UUID's last group is 12 hex digits, all decimal about once in 300: never an account.
_UUID = re.compile(r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}")


def is_national_id(value: str) -> bool:
    value = value.upper()
    if len(value) != 18 or national_id_check_char(value[:17]) != value[17]:
        return False
    try:
        born = date(int(value[6:10]), int(value[10:12]), int(value[12:14]))
    except ValueError:
        return False
    return 1900 <= born.year <= 2100


@dataclass(frozen=True)
class Finding:
    kind: str  # national_id, phone, account
    value: str
    where: str

    def __str__(self) -> str:
        return f"{self.kind} {self.value} in {self.where}"


@dataclass
class PiiScan:
    phones: set[str] = field(default_factory=set)
    accounts: set[str] = field(default_factory=set)
    ids: list[Finding] = field(default_factory=list)
    # Numbers of a phone's or an account's shape, and where they were seen: reported if the
    # run created them (known only at the end: a log line may come before the test's request).
    seen: dict[str, str] = field(default_factory=dict)
    counts: dict[str, int] = field(default_factory=dict)

    # ---- what the tests created -------------------------------------------------------------
    def learn(self, body: bytes | str) -> None:
        """Remember the phones and accounts in a request body the tests sent."""
        text = body.decode("utf-8", "replace") if isinstance(body, bytes) else body
        try:
            data = json.loads(text)
        except ValueError:
            # A file upload (bank results, sales batch): every account-shaped number in it,
            # but not the groups of its UUIDs (a bank result file quotes each line's id).
            self.accounts.update(_ACCOUNT.findall(_UUID.sub(" ", text)))
            return
        self._learn_json(data)

    def _learn_json(self, data: Any, key: str = "") -> None:
        if isinstance(data, dict):
            for k, v in data.items():
                self._learn_json(v, str(k).lower())
        elif isinstance(data, list):
            for v in data:
                self._learn_json(v, key)
        elif isinstance(data, str | int) and not isinstance(data, bool):
            digits = re.sub(r"[ -]", "", str(data)).removeprefix("+86")
            if any(k in key for k in _PHONE_KEYS):
                self.phones.add(digits)
            elif any(k in key for k in _ACCOUNT_KEYS):
                self.accounts.add(digits)

    # ---- what the platform wrote -------------------------------------------------------------
    def scan(self, text: str | bytes, where: str, kind: str = "text") -> None:
        if isinstance(text, bytes):
            text = text.decode("utf-8", "replace")
        self.counts[kind] = self.counts.get(kind, 0) + 1
        for match in _ID.finditer(text):
            if is_national_id(match.group(0)):
                self.ids.append(Finding("national_id", match.group(0), where))
        # A UUID is never a phone or an account, though its groups can look like one joined by
        # hyphens (…-a138-0013-8000-… holds 13800138000): the platform logs UUIDs whole.
        numbers = _UUID.sub(" ", text)
        for pattern in (_PHONE, _ACCOUNT):
            for match in pattern.finditer(numbers):
                self.seen.setdefault(re.sub(r"[ -]", "", match.group(0)), where)

    def findings(self) -> list[Finding]:
        found = list(self.ids)
        for number, where in self.seen.items():
            if number in self.phones:
                found.append(Finding("phone", number, where))
            elif number in self.accounts:
                found.append(Finding("account", number, where))
        return found


def scan_all(scan: PiiScan, items: Iterable[tuple[str, str]], kind: str) -> None:
    for where, text in items:
        scan.scan(text, where, kind)
