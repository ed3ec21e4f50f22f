"""Request bodies taken as JSON writes them.

Pydantic's lax mode converts quietly: ``true`` becomes 1 (``"quantity": true`` sold one unit,
``"budget_fen": false`` emptied a fund), ``"3"``, ``3.0`` and ``1e3`` become integers (a till
sending ``128.00`` yuan as fen was recorded 100× too low), ``0``/``"yes"`` become flags, and a
number becomes a date counted in seconds from 1970. Every request model of every service and of
the gateway calls :func:`as_written` in a ``mode="before"`` model validator so such bodies are a
422 naming the field: an integer field takes only a JSON integer. It also refuses NUL characters,
which PostgreSQL text cannot hold.

Only JSON bodies go through it: query and path parameters arrive as text and are converted as
usual, and a CSV upload converts its cells itself (see ``services/products/batch.py``).
"""

import types
from datetime import date, datetime
from typing import Annotated, Any, Union, get_args, get_origin

from pydantic import BaseModel


def _unwrap(annotation: Any) -> Any:
    while get_origin(annotation) is Annotated:
        annotation = get_args(annotation)[0]
    return annotation


def _members(annotation: Any) -> list[Any]:
    """The types a field may hold: the members of a union (``int | None``), else itself."""
    annotation = _unwrap(annotation)
    if get_origin(annotation) in (Union, types.UnionType):
        return [m for a in get_args(annotation) for m in _members(a)]
    return [annotation]


def _accepts(annotation: Any, kind: type) -> bool:
    return any(m is kind for m in _members(annotation))


def _items(annotation: Any) -> Any:
    """The item type of a list, set or tuple field (``list[int]``), or None."""
    for member in _members(annotation):
        if get_origin(member) in (list, set, frozenset, tuple) and get_args(member):
            return get_args(member)[0]
    return None


def _has_nul(value: Any) -> bool:
    if isinstance(value, str):
        return "\x00" in value
    if isinstance(value, dict):
        return any(_has_nul(k) or _has_nul(v) for k, v in value.items())
    if isinstance(value, list | tuple):
        return any(_has_nul(v) for v in value)
    return False


def _whole_number(name: str) -> str:
    if name.split("[")[0].endswith("_fen"):
        return (
            f"{name}: must be a whole number of fen written as a JSON integer, e.g. 12800 for "
            '128.00 yuan (not "12800", 12800.0 or 1.28e4)'
        )
    return f'{name}: must be a whole number written as a JSON integer, e.g. 3 (not "3", 3.0 or 3e0)'


def _check(name: str, annotation: Any, value: Any) -> None:
    if value is None:
        return
    if isinstance(value, bool) and _accepts(annotation, int):
        raise ValueError(f"{name}: must be a whole number, not true or false")
    if (
        isinstance(value, str | float)
        and _accepts(annotation, int)
        and not _accepts(annotation, float)
        and not (isinstance(value, str) and _accepts(annotation, str))
    ):
        raise ValueError(_whole_number(name))
    if not isinstance(value, bool) and _accepts(annotation, bool):
        raise ValueError(f"{name}: must be true or false")
    if not isinstance(value, str | date) and (
        _accepts(annotation, date) or _accepts(annotation, datetime)
    ):
        raise ValueError(f"{name}: must be a date written YYYY-MM-DD (or an ISO timestamp)")
    item = _items(annotation)
    if item is not None and isinstance(value, list):
        for index, element in enumerate(value):
            _check(f"{name}[{index}]", item, element)


def as_written(model: type[BaseModel], data: Any) -> Any:
    """Refuse NUL characters, and values whose JSON type is not the field's own."""
    if _has_nul(data):
        raise ValueError("text must not contain NUL (\\x00) characters")
    if not isinstance(data, dict):
        return data
    for name, value in data.items():
        field = model.model_fields.get(name)
        if field is not None:
            _check(name, field.annotation, value)
    return data
