"""Sync drivers on threads against async drivers on the event loop, for the serving-model choice.

`python -m bench.storage_drivers`: a primary-key read (the shape of GetIncident's statement) on a scratch
PostgreSQL table, 16 in flight for 5 seconds each way: psycopg 3 sync connections on 16 threads (what
the server does) and psycopg 3 AsyncConnection in 16 tasks on one loop. Prints calls/s for both.
"""

from __future__ import annotations

import asyncio
import os
import threading
import time
import uuid
from concurrent.futures import ThreadPoolExecutor

import psycopg

ADMIN_URL = os.environ.get("INCIDENTS_TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/postgres")
IN_FLIGHT = 16
SECONDS = 5.0
ROWS = 10_000
QUERY = "SELECT id, name, payload FROM driver_bench WHERE id = %s"


def _url(database: str) -> str:
    return ADMIN_URL.rsplit("/", 1)[0] + "/" + database


def threads_sync(url: str) -> float:
    stop = time.monotonic() + SECONDS
    counts = [0] * IN_FLIGHT

    def worker(index: int) -> None:
        with psycopg.connect(url, autocommit=True) as connection:
            key = index
            while time.monotonic() < stop:
                connection.execute(QUERY, (key % ROWS,), prepare=True).fetchone()
                counts[index] += 1
                key += IN_FLIGHT

    with ThreadPoolExecutor(IN_FLIGHT) as pool:
        list(pool.map(worker, range(IN_FLIGHT)))
    return sum(counts) / SECONDS


async def _tasks_async(url: str) -> float:
    stop = time.monotonic() + SECONDS
    counts = [0] * IN_FLIGHT

    async def worker(index: int) -> None:
        async with await psycopg.AsyncConnection.connect(url, autocommit=True) as connection:
            key = index
            while time.monotonic() < stop:
                await (await connection.execute(QUERY, (key % ROWS,), prepare=True)).fetchone()
                counts[index] += 1
                key += IN_FLIGHT

    await asyncio.gather(*(worker(i) for i in range(IN_FLIGHT)))
    return sum(counts) / SECONDS


def main() -> None:
    database = f"driver_bench_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(ADMIN_URL, autocommit=True) as admin:
        admin.execute(f'CREATE DATABASE "{database}"')
    try:
        url = _url(database)
        with psycopg.connect(url, autocommit=True) as connection:
            connection.execute("CREATE TABLE driver_bench (id int PRIMARY KEY, name text, payload jsonb)")
            connection.execute(
                "INSERT INTO driver_bench SELECT i, 'incident ' || i, '{\"a\": 1}'::jsonb"
                " FROM generate_series(0, %s) i",
                (ROWS,),
            )
        print(f"threads x{IN_FLIGHT}, sync psycopg:   {threads_sync(url):8.0f} reads/s")
        print(f"one loop x{IN_FLIGHT}, async psycopg: {asyncio.run(_tasks_async(url)):8.0f} reads/s")
        print(f"(threads alive now: {threading.active_count()})")
    finally:
        with psycopg.connect(ADMIN_URL, autocommit=True) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)')


if __name__ == "__main__":
    main()
