"""``python -m deploy.openapi``: write each process's OpenAPI document to ``docs/openapi/``.

The committed documents are the API's contract: a test compares them with what the apps serve,
so a change to the API is seen in review (``git diff docs/openapi``) and made on purpose.
``python -m deploy.openapi --check`` exits 1 and names the documents that differ."""

import argparse
import importlib
import json
import sys
from pathlib import Path
from typing import Any

from deploy.topology import PROCESSES

OPENAPI_DIR = Path(__file__).resolve().parent.parent / "docs" / "openapi"


def document(process: str) -> dict[str, Any]:
    """The OpenAPI document ``process`` serves (its own routes; the gateway's without the
    services it aggregates at run time)."""
    app = importlib.import_module(f"{PROCESSES[process]}.app").create_app()
    schema: dict[str, Any] = app.openapi()
    return schema


def rendered(process: str) -> str:
    return json.dumps(document(process), indent=1, ensure_ascii=False) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="compare, write nothing")
    args = parser.parse_args(argv)
    stale = []
    OPENAPI_DIR.mkdir(parents=True, exist_ok=True)
    for process in PROCESSES:
        path = OPENAPI_DIR / f"{process}.json"
        text = rendered(process)
        current = path.read_text(encoding="utf-8") if path.exists() else None
        if current != text:
            stale.append(path.name)
            if not args.check:
                path.write_text(text, encoding="utf-8")
    if args.check and stale:
        print("out of date: " + ", ".join(stale) + " (run python -m deploy.openapi)")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
