"""The baselines measured in the same run as the platform: the bare FastAPI + one asyncpg INSERT
endpoint (tests/bench/baseline_app.py), asyncpg COPY of the batch's sale lines, nginx as a
keep-alive reverse proxy in front of products, and a bare JetStream publish → pull-consumer
round trip on a nats-server of its own with the platform's JetStream settings."""

import subprocess
import sys
import time
import uuid
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import asyncpg
import nats

from deploy.topology import KEEP_ALIVE_SECONDS
from tests.bench.load import percentile
from tests.bench.platform import LocalPostgres, which
from tests.support.infra import free_port, nats_server_binary, wait_for_port

ROOT = Path(__file__).resolve().parents[2]
UVICORN = [
    *["--loop", "uvloop", "--http", "httptools", "--no-access-log", "--no-proxy-headers"],
    *["--timeout-keep-alive", str(KEEP_ALIVE_SECONDS)],
]


class Baselines:
    def __init__(self, work: Path, pg: LocalPostgres) -> None:
        self.work = work
        self.pg = pg
        self.dsn = pg.dsn(pg.database("baseline"))
        self.app_port = free_port()
        self.nginx_port = free_port()
        self.nats_port = free_port()
        self.procs: dict[str, subprocess.Popen[bytes]] = {}

    @property
    def app_url(self) -> str:
        return f"http://127.0.0.1:{self.app_port}"

    @property
    def nginx_url(self) -> str:
        return f"http://127.0.0.1:{self.nginx_port}"

    def pids(self) -> dict[str, int]:
        return {name: p.pid for name, p in self.procs.items()}

    async def start(self, products_port: int) -> None:
        conn = await asyncpg.connect(self.pg.dsn())
        await conn.execute(f"CREATE DATABASE {self.pg.database('baseline')}")
        await conn.close()
        log = open(self.work / "logs" / "baseline.log", "ab")  # noqa: ASYNC230 - once
        self.procs["bare"] = subprocess.Popen(
            [
                *[sys.executable, "-m", "uvicorn", "tests.bench.baseline_app:app"],
                *["--host", "127.0.0.1", "--port", str(self.app_port), *UVICORN],
            ],
            cwd=ROOT,
            env={"BENCH_BASELINE_DSN": self.dsn, "PATH": "/usr/bin:/bin"},
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        self._start_nginx(products_port)
        self._start_nats()
        for port in (self.app_port, self.nginx_port, self.nats_port):
            wait_for_port(port, timeout=30)

    def _start_nginx(self, products_port: int) -> None:
        """One worker (the gateway is one process), keep-alive upstream, access log on as in
        production."""
        root = self.work / "nginx"
        root.mkdir(exist_ok=True)
        (root / "nginx.conf").write_text(
            f"""worker_processes 1;
pid {root}/nginx.pid;
error_log {root}/error.log warn;
events {{ worker_connections 1024; }}
http {{
  access_log {root}/access.log;
  client_body_temp_path {root}/body;
  proxy_temp_path {root}/proxy;
  fastcgi_temp_path {root}/fastcgi;
  uwsgi_temp_path {root}/uwsgi;
  scgi_temp_path {root}/scgi;
  upstream products {{ server 127.0.0.1:{products_port}; keepalive 64; }}
  server {{
    listen 127.0.0.1:{self.nginx_port};
    keepalive_requests 100000;
    location / {{
      proxy_pass http://products;
      proxy_http_version 1.1;
      proxy_set_header Connection "";
      proxy_set_header Host $host;
    }}
  }}
}}
"""
        )
        self.procs["nginx"] = subprocess.Popen(
            [which("nginx"), "-p", str(root), "-c", str(root / "nginx.conf"), "-g", "daemon off;"],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.STDOUT,
        )

    def _start_nats(self) -> None:
        store = self.work / "bare-nats"
        store.mkdir(exist_ok=True)
        conf = self.work / "bare-nats.conf"
        conf.write_text(
            f'listen: "127.0.0.1:{self.nats_port}"\n'
            f'jetstream {{ store_dir: "{store}", sync_interval: always }}\n'
        )
        self.procs["bare-nats"] = subprocess.Popen(
            [nats_server_binary(), "-c", str(conf)],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.STDOUT,
        )

    def stop(self) -> None:
        for proc in self.procs.values():
            proc.terminate()
        for proc in self.procs.values():
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()

    # -- COPY ----------------------------------------------------------------------------------
    async def copy_rate(self, lines: int) -> dict[str, float]:
        """asyncpg COPY of ``lines`` one-line sales (the sales rows and their lines, in one
        transaction) into tables shaped like products' ``sales`` and ``sale_lines``."""
        conn = await asyncpg.connect(self.dsn)
        try:
            await conn.execute(COPY_TABLES)
            store, product = uuid.uuid4(), uuid.uuid4()
            now = datetime.now(UTC)
            sold, day = now - timedelta(minutes=5), date.today()
            sales, sale_lines = [], []
            began = time.perf_counter()
            for i in range(lines):
                sale_id = uuid.uuid4()
                receipt = f"C-{sale_id.hex[:12]}-{i}"
                sales.append(
                    (sale_id, store, "sale", receipt, sold, day, 1, 250, 990, 1, now, "bench")
                )
                sale_lines.append((sale_id, 1, product, "WA-BENCH-000", 1, 990, 250, 990))
            async with conn.transaction():
                await conn.copy_records_to_table("copy_sales", records=sales)
                await conn.copy_records_to_table(
                    "copy_sale_lines",
                    records=sale_lines,
                    columns=[
                        "sale_id",
                        "line_no",
                        "product_id",
                        "sku",
                        "quantity",
                        "unit_price_fen",
                        "grams",
                        "fen",
                    ],
                )
            seconds = time.perf_counter() - began
        finally:
            await conn.close()
        return {"lines": lines, "seconds": seconds, "per_second": lines / seconds}

    # -- JetStream -----------------------------------------------------------------------------
    async def jetstream_round_trip(self, messages: int) -> dict[str, float]:
        """Publish (waiting for the stream's ack) → fetch on a durable pull consumer → ack, one
        message at a time; the time of each whole round trip and of the publish alone."""
        nc = await nats.connect(f"nats://127.0.0.1:{self.nats_port}")
        try:
            js = nc.jetstream()
            stream = f"BENCH{uuid.uuid4().hex[:6]}"
            await js.add_stream(name=stream, subjects=[f"{stream}.>"])
            sub = await js.pull_subscribe(f"{stream}.>", durable="bench")
            body = b'{"sale":"' + b"x" * 600 + b'"}'  # about a sale event's size
            trips, publishes = [], []
            for i in range(messages):
                began = time.perf_counter()
                await js.publish(f"{stream}.sale", body, headers={"Nats-Msg-Id": str(i)})
                published = time.perf_counter()
                for msg in await sub.fetch(1, timeout=5):
                    await msg.ack()
                trips.append(1000 * (time.perf_counter() - began))
                publishes.append(1000 * (published - began))
        finally:
            await nc.close()
        return {
            "messages": messages,
            "p50_ms": percentile(trips, 50),
            "p99_ms": percentile(trips, 99),
            "publish_p50_ms": percentile(publishes, 50),
        }


COPY_TABLES = """
CREATE TABLE IF NOT EXISTS copy_sales (
    id uuid PRIMARY KEY, store_id uuid NOT NULL, kind varchar(20) NOT NULL,
    receipt_number varchar(64) NOT NULL, sold_at timestamptz NOT NULL, business_date date NOT NULL,
    total_quantity bigint NOT NULL, total_grams bigint NOT NULL, total_fen bigint NOT NULL,
    line_count int NOT NULL, recorded_at timestamptz NOT NULL, recorded_by varchar(120) NOT NULL);
CREATE UNIQUE INDEX IF NOT EXISTS copy_sales_receipt ON copy_sales (store_id, receipt_number);
CREATE TABLE IF NOT EXISTS copy_sale_lines (
    id bigserial PRIMARY KEY, sale_id uuid NOT NULL REFERENCES copy_sales (id),
    line_no int NOT NULL,
    product_id uuid NOT NULL, sku varchar(64) NOT NULL, quantity bigint NOT NULL,
    unit_price_fen bigint NOT NULL, grams bigint NOT NULL, fen bigint NOT NULL);
CREATE INDEX IF NOT EXISTS copy_sale_lines_sale ON copy_sale_lines (sale_id);
"""
