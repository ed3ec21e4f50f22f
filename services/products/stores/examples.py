"""OpenAPI examples of the stores' request bodies."""

from typing import Any

STORE_EXAMPLE: dict[str, Any] = {
    "name": "Weng'an Specialties Flagship Store (Jiangnan West)",
    "kind": "flagship_store",
    "address": "Jiangnan West Road, Haizhu District, Guangzhou",
}
