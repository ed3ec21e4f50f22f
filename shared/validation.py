"""Request bodies taken as JSON writes them.

Pydantic's lax mode converts quietly: ``true`` becomes 1 (``"quantity": true`` sold one unit,
``"budget_fen": false`` emptied a fund), ``0``/``"yes"`` become flags, and a number becomes a
date counted in seconds from 1970. Every service's request models call :func:`as_written` in a
``mode="before"`` model validator so such bodies are a 422 naming the field. It also refuses NUL
characters, which PostgreSQL text cannot hold.
"""

import types
from datetime import date, datetime
from typing import Any, Union, get_args, get_origin

from pydantic import BaseModel


def _accepts(annotation: Any, kind: type) -> bool:
    if get_origin(annotation) in (Union, types.UnionType):
        return any(_accepts(a, kind) for a in get_args(annotation))
    return annotation is kind


def _has_nul(value: Any) -> bool:
    if isinstance(value, str):
        return "\x00" in value
    if isinstance(value, dict):
        return any(_has_nul(k) or _has_nul(v) for k, v in value.items())
    if isinstance(value, list | tuple):
        return any(_has_nul(v) for v in value)
    return False


def as_written(model: type[BaseModel], data: Any) -> Any:
    """Refuse NUL characters, and values whose JSON type is not the field's own."""
    if _has_nul(data):
        raise ValueError("text must not contain NUL (\\x00) characters")
    if not isinstance(data, dict):
        return data
    for name, value in data.items():
        field = model.model_fields.get(name)
        if field is None or value is None:
            continue
        kind = field.annotation
        if isinstance(value, bool) and _accepts(kind, int):
            raise ValueError(f"{name}: must be a whole number, not true or false")
        if not isinstance(value, bool) and _accepts(kind, bool):
            raise ValueError(f"{name}: must be true or false")
        if not isinstance(value, str | date) and (_accepts(kind, date) or _accepts(kind, datetime)):
            raise ValueError(f"{name}: must be a date written YYYY-MM-DD (or an ISO timestamp)")
    return data
