"""Statistics over 1,000,000 sale lines. The lines are generated inside PostgreSQL (one-line
sales over the past 400 days, spread over the stores and products), with the rows the service
writes for a sale: ``sales``, ``sale_lines``, ``store_days`` and both rollups, the rollups
computed from the generated lines by the same sums. Before the load the rollups the service
itself wrote during the run are recomputed the same way and compared (so a change of the
service's rollups shows as a failed check, not as wrong figures); after it, every rollup row is
checked against the sum of its lines. No outbox rows: these sales were never reported live."""

import time
from typing import Any

import asyncpg

DAILY_FROM_LINES = """
SELECT s.business_date, s.store_id, l.product_id,
       date_trunc('month', s.business_date)::date AS month,
       sum(l.quantity) AS quantity, sum(l.grams) AS grams, sum(l.fen) AS fen
FROM sales s JOIN sale_lines l ON l.sale_id = s.id {where}
GROUP BY s.business_date, s.store_id, l.product_id"""

CHECK_DAILY = f"""
SELECT count(*) FROM (
  (SELECT business_date, store_id, product_id, month, quantity, grams, fen
   FROM sales_daily_rollup
   EXCEPT SELECT * FROM ({DAILY_FROM_LINES.format(where="")}) d)
  UNION ALL
  (SELECT * FROM ({DAILY_FROM_LINES.format(where="")}) d
   EXCEPT SELECT business_date, store_id, product_id, month, quantity, grams, fen
   FROM sales_daily_rollup)) diff"""

CHECK_MONTHLY = """
SELECT count(*) FROM (
  (SELECT month, store_id, product_id, quantity, grams, fen FROM sales_monthly_rollup
   EXCEPT SELECT month, store_id, product_id, sum(quantity), sum(grams), sum(fen)
   FROM sales_daily_rollup GROUP BY month, store_id, product_id)
  UNION ALL
  (SELECT month, store_id, product_id, sum(quantity), sum(grams), sum(fen)
   FROM sales_daily_rollup GROUP BY month, store_id, product_id
   EXCEPT SELECT month, store_id, product_id, quantity, grams, fen FROM sales_monthly_rollup)
) diff"""

GENERATE = """
WITH g AS (
  INSERT INTO sales (id, store_id, kind, receipt_number, sold_at, business_date, total_quantity,
                     total_grams, total_fen, line_count, recorded_at, recorded_by)
  SELECT gen_random_uuid(), ($1::uuid[])[1 + n % array_length($1::uuid[], 1)], 'sale',
         'G-' || n, (d + time '10:00') AT TIME ZONE 'Asia/Shanghai', d,
         1 + n % 3, (1 + n % 3) * 250, (1 + n % 3) * 1250, 1, now(), 'bench-load'
  FROM generate_series($3::int, $4::int) n,
       LATERAL (SELECT (current_date - 1 - (n % 400))::date AS d) day
  RETURNING id, receipt_number, total_quantity, total_grams, total_fen)
INSERT INTO sale_lines (sale_id, line_no, product_id, sku, quantity, unit_price_fen, grams, fen)
SELECT g.id, 1, p.id, p.sku, g.total_quantity, 1250, g.total_grams, g.total_fen
FROM g JOIN products p
  ON p.id = ($2::uuid[])[1 + (substr(g.receipt_number, 3)::int / 7) % array_length($2::uuid[], 1)]
"""


async def check_rollups(conn: asyncpg.Connection) -> int:
    """Rows where the rollups differ from the sums of the lines (0 when exact)."""
    return int(await conn.fetchval(CHECK_DAILY)) + int(await conn.fetchval(CHECK_MONTHLY))


async def load(
    dsn: str, store_ids: list[str], product_ids: list[str], lines: int
) -> dict[str, Any]:
    conn = await asyncpg.connect(dsn)
    try:
        live = await check_rollups(conn)
        if live:
            raise RuntimeError(
                f"{live} rollup rows the service wrote differ from the sums of their lines: "
                "the bench's loader no longer writes what the service would"
            )
        began = time.perf_counter()
        chunk = 250_000
        for first in range(1, lines + 1, chunk):
            last = min(lines, first + chunk - 1)
            async with conn.transaction():
                await conn.execute("SET LOCAL synchronous_commit = off")
                await conn.execute(GENERATE, store_ids, product_ids, first, last)
        # store_days and both rollups from the generated lines, added to what the run wrote.
        async with conn.transaction():
            await conn.execute(
                "INSERT INTO store_days (store_id, business_date) SELECT DISTINCT store_id, "
                "business_date FROM sales WHERE recorded_by = 'bench-load' ON CONFLICT DO NOTHING"
            )
            generated = DAILY_FROM_LINES.format(where="WHERE s.recorded_by = 'bench-load'")
            await conn.execute(
                "INSERT INTO sales_daily_rollup (business_date, store_id, product_id, month, "
                f"quantity, grams, fen) SELECT * FROM ({generated}) g "
                "ON CONFLICT (business_date, store_id, product_id) DO UPDATE SET "
                "quantity = sales_daily_rollup.quantity + excluded.quantity, "
                "grams = sales_daily_rollup.grams + excluded.grams, "
                "fen = sales_daily_rollup.fen + excluded.fen"
            )
            await conn.execute(
                "INSERT INTO sales_monthly_rollup (month, store_id, product_id, quantity, grams, "
                f"fen) SELECT month, store_id, product_id, sum(quantity), sum(grams), sum(fen) "
                f"FROM ({generated}) g GROUP BY month, store_id, product_id "
                "ON CONFLICT (month, store_id, product_id) DO UPDATE SET "
                "quantity = sales_monthly_rollup.quantity + excluded.quantity, "
                "grams = sales_monthly_rollup.grams + excluded.grams, "
                "fen = sales_monthly_rollup.fen + excluded.fen"
            )
        await conn.execute("ANALYZE")
        seconds = time.perf_counter() - began
        wrong = await check_rollups(conn)
        if wrong:
            raise RuntimeError(f"{wrong} rollup rows differ from their lines after the load")
        total = int(await conn.fetchval("SELECT count(*) FROM sale_lines"))
    finally:
        await conn.close()
    return {"generated_lines": lines, "sale_lines": total, "load_seconds": seconds}
