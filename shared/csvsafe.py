"""CSV files a person may open in a spreadsheet, written safely (RELIABILITY #33).

A text cell starting with ``=``, ``+``, ``-``, ``@``, a tab or a carriage return is read by
Excel, LibreOffice and others as a formula (``=HYPERLINK(…)``, ``+cmd|…``, ``@SUM(…)``): data
typed by one user would run in the spreadsheet of another. Such a cell gets a leading single
quote, as OWASP recommends ("CSV Injection"), which shows the text as typed. Numbers (amounts,
also negative ones) are written as numbers; only text is changed. Every CSV the platform writes
goes through :func:`writer`.
"""

import csv
from collections.abc import Iterable
from typing import Any, Protocol

FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")


def safe_cell(value: Any) -> Any:
    """The cell as written: text that a spreadsheet would run gets a leading ``'``."""
    if isinstance(value, str) and value.startswith(FORMULA_PREFIXES):
        return "'" + value
    return value


class _Writer(Protocol):
    def writerow(self, row: Iterable[Any], /) -> Any: ...


class SafeWriter:
    """``csv.writer`` whose every text cell is passed through :func:`safe_cell`."""

    def __init__(self, inner: _Writer) -> None:
        self._inner = inner

    def writerow(self, row: Iterable[Any]) -> None:
        self._inner.writerow([safe_cell(cell) for cell in row])

    def writerows(self, rows: Iterable[Iterable[Any]]) -> None:
        for row in rows:
            self.writerow(row)


def writer(out: Any, **fmt: Any) -> SafeWriter:
    """Like ``csv.writer(out, **fmt)``, with formula-looking text neutralised."""
    return SafeWriter(csv.writer(out, **fmt))
