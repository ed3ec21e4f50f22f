"""Structured JSON logs with the request id bound from gateway to service to consumer.

A last-line scrubber masks anything shaped like a national ID number, a mobile number or a bank
account in every logged string, in case a careless log call ever passes one. Identifiers are
left whole, so an id a user quotes can be found in the logs: the values of the identifier fields
(request, event and trace ids) and UUIDs wherever they appear (a request id such as
``13912345678`` or a UUID holding ``…138-0013-8000…`` was masked as a phone number).
"""

import logging
import re
import sys
from collections.abc import MutableMapping
from typing import Any

import structlog

_ID_RE = re.compile(r"(?<![0-9A-Za-z])(\d{6})(\d{8})(\d{3}[\dXx])(?![0-9A-Za-z])")
# Mobile numbers, also written with spaces or dashes (138-0013-8000, +86 138 0013 8000).
_PHONE_RE = re.compile(r"(?<!\d)(1[3-9]\d)[ -]?(\d{4})[ -]?(\d{4})(?!\d)")
# Bank accounts: the same 12–30 digits shared.pii accepts.
_ACCOUNT_RE = re.compile(r"(?<!\d)\d{12,30}(?!\d)")
# A UUID, with dashes or as 32 hex digits (uuid4().hex, the request ids this platform makes).
_UUID_RE = re.compile(
    r"(?<![0-9A-Za-z])(?:[0-9a-fA-F]{8}(?:-[0-9a-fA-F]{4}){3}-[0-9a-fA-F]{12}|[0-9a-fA-F]{32})"
    r"(?![0-9A-Za-z])"
)
# Fields that hold identifiers, never personal data: logged as they are when they look like one.
IDENTIFIER_FIELDS = frozenset({"request_id", "event_id", "trace_id", "span_id"})
_IDENTIFIER = re.compile(r"[A-Za-z0-9._:-]{1,100}")


def _mask(text: str) -> str:
    text = _ID_RE.sub(lambda m: m.group(1)[:3] + "*" * 11 + m.group(3)[-4:], text)
    text = _PHONE_RE.sub(lambda m: m.group(1) + "****" + m.group(3), text)
    return _ACCOUNT_RE.sub(lambda m: "*" * (len(m.group(0)) - 4) + m.group(0)[-4:], text)


def scrub_text(text: str) -> str:
    """Mask personal data in free text, leaving the UUIDs in it whole."""
    parts: list[str] = []
    start = 0
    for match in _UUID_RE.finditer(text):
        parts += [_mask(text[start : match.start()]), match.group(0)]
        start = match.end()
    parts.append(_mask(text[start:]))
    return "".join(parts)


def _scrub(value: Any) -> Any:
    if isinstance(value, str):
        return scrub_text(value)
    if isinstance(value, dict):
        return {k: _scrub(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_scrub(v) for v in value]
    return value


def _scrub_processor(
    _logger: Any, _name: str, event_dict: MutableMapping[str, Any]
) -> MutableMapping[str, Any]:
    return {
        k: v if k in IDENTIFIER_FIELDS and _is_identifier(v) else _scrub(v)
        for k, v in event_dict.items()
    }


def _is_identifier(value: Any) -> bool:
    return isinstance(value, str) and _IDENTIFIER.fullmatch(value) is not None


def configure_logging(
    service: str = "eastwest", *, level: str = "INFO", json: bool = True, stream: Any = None
) -> None:
    """One JSON line per record on stdout (or ``stream``: the operator's commands log on
    standard error, their results are on standard output), from structlog and from the
    standard library's loggers (uvicorn, SQLAlchemy, nats) alike, all through the scrubber."""
    stream = stream or sys.stdout
    renderer: Any = structlog.processors.JSONRenderer() if json else structlog.dev.ConsoleRenderer()
    shared_processors: list[Any] = [
        structlog.contextvars.merge_contextvars,
        structlog.processors.add_log_level,
        structlog.processors.TimeStamper(fmt="iso", utc=True),
    ]
    structlog.configure(
        processors=[
            *shared_processors,
            structlog.processors.format_exc_info,
            _scrub_processor,
            renderer,
        ],
        wrapper_class=structlog.make_filtering_bound_logger(logging.getLevelName(level.upper())),
        logger_factory=structlog.PrintLoggerFactory(file=stream),
        cache_logger_on_first_use=True,
    )
    handler = logging.StreamHandler(stream)
    handler.setFormatter(
        structlog.stdlib.ProcessorFormatter(
            foreign_pre_chain=[*shared_processors, structlog.stdlib.add_logger_name],
            processors=[
                structlog.stdlib.ProcessorFormatter.remove_processors_meta,
                structlog.processors.format_exc_info,
                _scrub_processor,
                renderer,
            ],
        )
    )
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level.upper())
    # uvicorn gives its loggers their own plain-text handlers: send them through ours instead.
    for name in ("uvicorn", "uvicorn.error", "uvicorn.access"):
        logging.getLogger(name).handlers.clear()
        logging.getLogger(name).propagate = True
    for noisy in ("uvicorn.access", "nats.aio.client", "alembic.runtime.migration"):
        logging.getLogger(noisy).setLevel(logging.WARNING)
