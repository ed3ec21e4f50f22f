"""The bank's result file, read: a pure function from the file's bytes and what was sent to
the result lines, or every problem of the file by line number (nothing is applied from a file
with any problem). No database: ``bankfile.service`` loads the batch and applies the lines.

The file (``text/csv``)::

    line_id,status,amount_fen,bank_reference,reason
    <uuid>,paid,50000,BANK-001,
    <uuid>,failed,50000,,account closed

as the payment file went out, in any of its formats: UTF-8 (with or without a BOM) or GBK /
GB18030 (as the ``charset`` of its Content-Type says, or recognised: a file that is not UTF-8 is
read as GB18030, GBK's superset), and amounts in integer fen (``amount_fen``) or in yuan with up
to two decimals (``amount_yuan``, ``500.00``), compared with what was sent exactly, in fen.
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
AMOUNT_COLUMNS = {"amount_fen": "fen", "amount_yuan": "yuan"}
_REF = re.compile(r"^[\x20-\x7e]{1,100}$")
_AMOUNT = re.compile(r"[0-9]{1,18}")
_YUAN = re.compile(r"([0-9]{1,16})(?:\.([0-9]{1,2}))?")
_UTF8 = {"utf-8", "utf8"}
_GB = {"gbk", "gb2312", "gb18030", "cp936"}

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


def parse_results(
    raw: bytes, sent: Mapping[uuid.UUID, int], charset: str | None = None
) -> list[ResultLine]:
    """Every result line of the file, checked against ``sent`` (line id → amount sent, in fen);
    raises ``BankFileInvalid`` listing every problem by line number. ``charset``: what the
    upload's Content-Type says, if anything."""
    rows = _read_rows(_decode(raw, charset))
    unit = _check_header(rows)
    problems: list[Problem] = []
    parsed: list[ResultLine] = []
    seen: dict[uuid.UUID, int] = {}
    for number, row in enumerate(rows[1:], start=2):
        if not any(cell.strip() for cell in row):
            continue
        result = _read_line(number, row, sent, seen, unit)
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


def _decode(raw: bytes, charset: str | None) -> str:
    """The file's text: GBK as declared, else UTF-8 (a BOM dropped), else GB18030 (GBK's
    superset: what a bank on Chinese Windows sends back without saying so)."""
    declared = (charset or "").strip().strip('"').lower()
    if declared and declared not in _UTF8 | _GB:
        raise BankFileInvalid(
            f"The file's charset '{declared[:40]}' is not read here; send UTF-8 or GBK.", []
        )
    codecs = ["gb18030"] if declared in _GB else ["utf-8-sig", "gb18030"]
    for codec in codecs:
        try:
            text = raw.decode(codec)
            break
        except UnicodeDecodeError:
            continue
    else:
        raise BankFileInvalid("The file is neither UTF-8 nor GBK text.", [])
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


def _check_header(rows: list[list[str]]) -> str:
    """The amount unit the header names (``fen`` or ``yuan``)."""
    if not rows:
        raise BankFileInvalid(
            f"The file is empty; expected a header line '{','.join(RESULT_COLUMNS)}'.", []
        )
    header = [h.strip() for h in rows[0]]
    if len(header) != len(RESULT_COLUMNS) or header[2] not in AMOUNT_COLUMNS:
        header = []
    if header[:2] + header[3:] != RESULT_COLUMNS[:2] + RESULT_COLUMNS[3:]:
        raise BankFileInvalid(
            f"The header must be exactly '{','.join(RESULT_COLUMNS)}' (or with amount_yuan "
            "for amount_fen).",
            [{"line": 1, "problem": "unexpected header"}],
        )
    return AMOUNT_COLUMNS[header[2]]


def _amount_fen(raw: str, unit: str) -> int | None:
    """The amount in fen, exactly (yuan never through a float), or None when not a plain
    amount: ASCII digits only (``str.isdigit()`` also takes "²" and "٢")."""
    if unit == "fen":
        return int(raw) if _AMOUNT.fullmatch(raw) else None
    match = _YUAN.fullmatch(raw)
    if match is None:
        return None
    return int(match.group(1)) * 100 + int((match.group(2) or "").ljust(2, "0"))


def _read_line(
    number: int,
    row: list[str],
    sent: Mapping[uuid.UUID, int],
    seen: dict[uuid.UUID, int],
    unit: str = "fen",
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
    if _amount_fen(raw_amount, unit) != amount:
        shown = amount if unit == "fen" else f"{amount // 100}.{amount % 100:02d}"
        return f"amount_{unit} must be {shown}, the amount sent for this line"
    if status == "paid" and not _REF.match(reference):
        return "a paid line needs its bank_reference (1–100 printable characters)"
    if status == "failed" and not (0 < len(reason) <= 500):
        return "a failed line needs a reason (1–500 characters)"
    outcome: Literal["paid", "failed"] = "paid" if status == "paid" else "failed"
    return ResultLine(line_id, number, outcome, reference or None, reason or None)
