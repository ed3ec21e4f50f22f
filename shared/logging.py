"""Structured JSON logs with the request id bound from gateway to service to consumer.

A last-line scrubber masks anything shaped like a national ID number, a mobile number or a bank
account in every logged string, in case a careless log call ever passes one.
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


def scrub_text(text: str) -> str:
    text = _ID_RE.sub(lambda m: m.group(1)[:3] + "*" * 11 + m.group(3)[-4:], text)
    text = _PHONE_RE.sub(lambda m: m.group(1) + "****" + m.group(3), text)
    return _ACCOUNT_RE.sub(lambda m: "*" * (len(m.group(0)) - 4) + m.group(0)[-4:], text)


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
    return {k: _scrub(v) for k, v in event_dict.items()}


def configure_logging(service: str = "eastwest", *, level: str = "INFO", json: bool = True) -> None:
    """One JSON line per record on stdout, from structlog and from the standard library's
    loggers (uvicorn, SQLAlchemy, nats) alike, all through the scrubber."""
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
        logger_factory=structlog.PrintLoggerFactory(file=sys.stdout),
        cache_logger_on_first_use=True,
    )
    handler = logging.StreamHandler(sys.stdout)
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
