"""Reading a batch upload's body from the request: its format, its size limit (checked while
streaming, so an oversized body is refused before it is all in memory) and its text."""

import hashlib
from dataclasses import dataclass
from typing import Any

from fastapi import Request

from services.products.batch.parser import Format, content_format, decode_body
from services.products.errors import BatchTooLarge, UnsupportedMediaType


@dataclass(frozen=True)
class Upload:
    format: Format
    text: str
    fingerprint: dict[str, Any]  # what the Idempotency-Key is bound to: format and body hash


async def read_upload(request: Request, *, max_bytes: int) -> Upload:
    fmt = content_format(request.headers.get("content-type"))
    if fmt is None:
        raise UnsupportedMediaType("Send the batch as application/x-ndjson or text/csv.")
    declared = request.headers.get("content-length")
    if declared and declared.isdigit() and int(declared) > max_bytes:
        raise BatchTooLarge(f"A batch may be at most {max_bytes:,} bytes.")
    chunks, size = [], 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > max_bytes:
            raise BatchTooLarge(f"A batch may be at most {max_bytes:,} bytes.")
        chunks.append(chunk)
    body = b"".join(chunks)
    text = decode_body(body)
    return Upload(fmt, text, {"format": fmt, "sha256": hashlib.sha256(body).hexdigest()})
