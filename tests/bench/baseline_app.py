"""The bench's baseline endpoint: bare FastAPI doing one raw asyncpg INSERT of a sale-sized row
(the receipt, its totals and its lines as JSON), no ORM, no idempotency, no outbox. Run under
uvicorn with the same options as the services; ``BENCH_BASELINE_DSN`` names its database."""

import json
import os
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import datetime

import asyncpg
from fastapi import FastAPI
from pydantic import BaseModel, Field

TABLE = """CREATE TABLE IF NOT EXISTS baseline_sales (
    id uuid PRIMARY KEY, store_id uuid NOT NULL, receipt_number varchar(64) NOT NULL,
    sold_at timestamptz NOT NULL, total_quantity bigint NOT NULL, total_fen bigint NOT NULL,
    line_count int NOT NULL, lines jsonb NOT NULL, recorded_at timestamptz NOT NULL DEFAULT now(),
    UNIQUE (store_id, receipt_number))"""


class Line(BaseModel):
    sku: str = Field(max_length=64)
    quantity: int = Field(gt=0)
    unit_price_fen: int = Field(ge=0)


class Sale(BaseModel):
    receipt_number: str = Field(max_length=64)
    sold_at: datetime
    lines: list[Line] = Field(min_length=1, max_length=200)


pool: asyncpg.Pool | None = None
STORE = uuid.uuid4()


@asynccontextmanager
async def lifespan(_: FastAPI) -> AsyncIterator[None]:
    global pool
    pool = await asyncpg.create_pool(os.environ["BENCH_BASELINE_DSN"], min_size=10, max_size=10)
    async with pool.acquire() as conn:
        await conn.execute(TABLE)
    yield
    await pool.close()


app = FastAPI(lifespan=lifespan)


@app.post("/sales", status_code=201)
async def report(sale: Sale) -> dict[str, str]:
    assert pool is not None
    sale_id = uuid.uuid4()
    await pool.execute(
        "INSERT INTO baseline_sales (id, store_id, receipt_number, sold_at, total_quantity, "
        "total_fen, line_count, lines) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
        sale_id,
        STORE,
        sale.receipt_number,
        sale.sold_at,
        sum(line.quantity for line in sale.lines),
        sum(line.quantity * line.unit_price_fen for line in sale.lines),
        len(sale.lines),
        json.dumps([line.model_dump() for line in sale.lines]),
    )
    return {"id": str(sale_id)}


@app.get("/readyz")
async def readyz() -> dict[str, str]:
    return {"status": "ready"}
