"""The size rules of the code (issue 9): no module over ~500 lines, no function over 60 lines
unless its docstring says why it is long. Migrations are generated and left out."""

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ("shared", "gateway", "services", "deploy")
MAX_MODULE = 500
MAX_FUNCTION = 60


def sources() -> list[Path]:
    return [
        path
        for package in PACKAGES
        for path in sorted((ROOT / package).rglob("*.py"))
        if "migrations/versions" not in path.as_posix() and "node_modules" not in path.parts
    ]


@pytest.mark.parametrize("path", sources(), ids=lambda p: p.relative_to(ROOT).as_posix())
def test_modules_and_functions_stay_small(path: Path) -> None:
    text = path.read_text(encoding="utf-8")
    assert text.count("\n") <= MAX_MODULE, f"{path.name}: split the module by feature"
    for node in ast.walk(ast.parse(text)):
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            length = (node.end_lineno or node.lineno) - node.lineno + 1
            if length > MAX_FUNCTION:
                reason = (ast.get_docstring(node) or "").lower()
                assert "long" in reason, (
                    f"{path.name}:{node.lineno} {node.name} is {length} lines: split it into "
                    "named steps, or say in its docstring why it is long"
                )
