"""docs/reliability.md names, for each of the 35 RELIABILITY promises, the tests that prove it:
the table must stay complete and every test it names must exist."""

import ast
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DOC = ROOT / "docs" / "reliability.md"
PROMISES = 35
STATUSES = ("proven", "partial", "open")
ROW = re.compile(r"^\| (\d+) \| (.+?) \| (\w+) \| (.*) \|$")
TEST_REF = re.compile(r"`(tests/[\w/]+\.py)::(\w+(?:::\w+)?)`")


def _rows() -> dict[int, tuple[str, list[tuple[str, str]]]]:
    rows: dict[int, tuple[str, list[tuple[str, str]]]] = {}
    for line in DOC.read_text().splitlines():
        match = ROW.match(line)
        if match:
            number = int(match.group(1))
            assert number not in rows, f"row {number} is in the table twice"
            rows[number] = (match.group(3), TEST_REF.findall(match.group(4)))
    return rows


def _tests_in(path: Path) -> set[str]:
    """``test_x`` and ``TestY::test_x`` of a test module."""
    names = set()
    for node in ast.parse(path.read_text()).body:
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            names.add(node.name)
        elif isinstance(node, ast.ClassDef):
            for item in node.body:
                if isinstance(item, ast.FunctionDef | ast.AsyncFunctionDef):
                    names.add(f"{node.name}::{item.name}")
    return names


def test_every_promise_has_a_row_with_a_status():
    rows = _rows()
    assert sorted(rows) == list(range(1, PROMISES + 1))
    for number, (status, tests) in rows.items():
        assert status in STATUSES, f"row {number}: status {status!r}"
        if status != "open":
            assert tests, f"row {number} is {status} but names no test"


def test_every_test_named_exists():
    missing = []
    for number, (_, tests) in _rows().items():
        for file, name in tests:
            path = ROOT / file
            if not path.exists() or name not in _tests_in(path):
                missing.append(f"row {number}: {file}::{name}")
    assert not missing, "tests named in docs/reliability.md that do not exist:\n" + "\n".join(
        missing
    )


def test_the_counts_agree_with_the_table():
    statuses = [status for status, _ in _rows().values()]
    by_status = {s: [n for n, (st, _) in _rows().items() if st == s] for s in STATUSES}
    expected = (
        f"Counts: {statuses.count('proven')} proven, "
        f"{statuses.count('partial')} partial ({', '.join(map(str, by_status['partial']))}), "
        f"{statuses.count('open')} open ({', '.join(map(str, by_status['open']))})."
    )
    assert expected in DOC.read_text(), expected
