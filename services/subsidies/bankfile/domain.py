"""The bank's result file, read: a pure function from the file's bytes and what was sent to
the result lines, or every problem of the file by line number (nothing is applied from a file
with any problem). No database: ``bankfile.service`` loads the batch and applies the lines.

The file (``text/csv``, UTF-8, optionally with a BOM)::

    line_id,status,amount_fen,bank_reference,reason
    <uuid>,paid,50000,BANK-001,
    <uuid>,failed,50000,,account closed
"""

import csv
import io
import re
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal

from services.subsidies.errors import BankFileConflict, BankFileInvalid

RESULT_COLUMNS = ["line_id", "status", "amount_fen", "bank_reference", "reason"]
_REF = re.compile(r"^[\x20-\x7e]{1,100}$")
_AMOUNT = re.compile(r"[0-9]{1,18}")

Problem = dict[str, Any]


@dataclass(frozen=True)
class ResultLine:
    """One line of the bank's answer: what happened to one payment line of the batch."""

    line_id: uuid.UUID
    number: int  # the line number in the file
    status: Literal["paid", "failed"]
    reference: str | None
    reason: str | None


@dataclass(frozen=True)
class Settled:
    """A payment line as the batch has it now."""

    status: str  # pending, paid, failed
    reference: str | None = None
    reason: str | None = None


def parse_results(raw: bytes, sent: Mapping[uuid.UUID, int]) -> list[ResultLine]:
    """Every result line of the file, checked against ``sent`` (line id → amount sent, in fen);
    raises ``BankFileInvalid`` listing every problem by line number."""
    rows = _read_rows(_decode(raw))
    _check_header(rows)
    problems: list[Problem] = []
    parsed: list[ResultLine] = []
    seen: dict[uuid.UUID, int] = {}
    for number, row in enumerate(rows[1:], start=2):
        if not any(cell.strip() for cell in row):
            continue
        result = _read_line(number, row, sent, seen)
        if isinstance(result, ResultLine):
            parsed.append(result)
        else:
            problems.append({"line": number, "problem": result})
    if problems:
        raise BankFileInvalid(
            f"{len(problems)} line(s) of the bank file are wrong; nothing was applied.", problems
        )
    if not parsed:
        raise BankFileInvalid("The file has a header but no result lines.", [])
    return parsed


def conflicts(parsed: list[ResultLine], now: Mapping[uuid.UUID, Settled]) -> list[Problem]:
    """Lines that contradict a result already applied (a settled line is final); the same
    result given again is no conflict, so re-importing a file is harmless."""
    found: list[Problem] = []
    for item in parsed:
        line = now[item.line_id]
        if line.status == "pending":
            continue
        same = line.status == item.status and (
            line.reference == item.reference
            if line.status == "paid"
            else line.reason == item.reason
        )
        if not same:
            found.append(
                {
                    "line": item.number,
                    "problem": f"line {item.line_id} was already settled as {line.status}; "
                    "a settled line is final",
                }
            )
    return found


def check_no_conflicts(parsed: list[ResultLine], now: Mapping[uuid.UUID, Settled]) -> None:
    found = conflicts(parsed, now)
    if found:
        raise BankFileConflict(
            f"{len(found)} line(s) contradict results already applied; nothing was applied.",
            found,
        )


def _decode(raw: bytes) -> str:
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise BankFileInvalid("The file is not UTF-8 text.", []) from None
    if "\x00" in text:
        raise BankFileInvalid("The file contains NUL bytes.", [])
    return text


def _read_rows(text: str) -> list[list[str]]:
    reader = csv.reader(io.StringIO(text))
    rows: list[list[str]] = []
    try:
        for row in reader:
            rows.append(row)
    except csv.Error as exc:  # e.g. a field over csv's size limit, a stray quote
        raise BankFileInvalid(
            f"Line {reader.line_num} of the file cannot be read as CSV; nothing was applied.",
            [{"line": reader.line_num, "problem": f"not readable as CSV: {exc}"}],
        ) from None
    return rows


def _check_header(rows: list[list[str]]) -> None:
    if not rows:
        raise BankFileInvalid(
            f"The file is empty; expected a header line '{','.join(RESULT_COLUMNS)}'.", []
        )
    if [h.strip() for h in rows[0]] != RESULT_COLUMNS:
        raise BankFileInvalid(
            f"The header must be exactly '{','.join(RESULT_COLUMNS)}'.",
            [{"line": 1, "problem": "unexpected header"}],
        )


def _read_line(
    number: int, row: list[str], sent: Mapping[uuid.UUID, int], seen: dict[uuid.UUID, int]
) -> ResultLine | str:
    """One result line, or what is wrong with it."""
    if len(row) != len(RESULT_COLUMNS):
        return f"expected {len(RESULT_COLUMNS)} fields, found {len(row)}"
    raw_id, status, raw_amount, reference, reason = (c.strip() for c in row)
    try:
        line_id = uuid.UUID(raw_id)
    except ValueError:
        return "line_id is not a UUID"
    amount = sent.get(line_id)
    if amount is None:
        return f"line {line_id} is not in this batch"
    if line_id in seen:
        return f"line {line_id} is already given on line {seen[line_id]}"
    seen[line_id] = number
    if status != "paid" and status != "failed":
        return "status must be 'paid' or 'failed'"
    # Only ASCII digits: str.isdigit() also takes "²" (int() then raises) and "٢" (read as 2).
    if not _AMOUNT.fullmatch(raw_amount) or int(raw_amount) != amount:
        return f"amount_fen must be {amount}, the amount sent for this line"
    if status == "paid" and not _REF.match(reference):
        return "a paid line needs its bank_reference (1–100 printable characters)"
    if status == "failed" and not (0 < len(reason) <= 500):
        return "a failed line needs a reason (1–500 characters)"
    outcome: Literal["paid", "failed"] = "paid" if status == "paid" else "failed"
    return ResultLine(line_id, number, outcome, reference or None, reason or None)
