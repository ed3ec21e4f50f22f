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
_PHONE_RE = re.compile(r"(?<!\d)(1[3-9]\d)(\d{4})(\d{4})(?!\d)")
_ACCOUNT_RE = re.compile(r"(?<!\d)\d{12,19}(?!\d)")


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
    renderer: Any = structlog.processors.JSONRenderer() if json else structlog.dev.ConsoleRenderer()
    structlog.configure(
        processors=[
            structlog.contextvars.merge_contextvars,
            structlog.processors.add_log_level,
            structlog.processors.TimeStamper(fmt="iso", utc=True),
            structlog.processors.format_exc_info,
            _scrub_processor,
            renderer,
        ],
        wrapper_class=structlog.make_filtering_bound_logger(logging.getLevelName(level.upper())),
        logger_factory=structlog.PrintLoggerFactory(file=sys.stdout),
        cache_logger_on_first_use=True,
    )
    logging.basicConfig(
        level=level.upper(),
        stream=sys.stdout,
        format=f'{{"service": "{service}", "logger": "%(name)s", '
        '"level": "%(levelname)s", "event": "%(message)s"}',
    )
    for noisy in ("uvicorn.access", "nats.aio.client", "alembic.runtime.migration"):
        logging.getLogger(noisy).setLevel(logging.WARNING)
