"""Profile the hot rpcs in-process (servicer method, operation, storage, response), no gRPC in between.

    .venv/bin/python -m bench.profile [get|batch_get|list|list_next|acknowledge|ingest ...]

Keeps a scratch PostgreSQL database with BENCH_INCIDENTS (default 100,000) incidents between runs
(BENCH_PROFILE_DATABASE, default incidents_profile; BENCH_PROFILE_RELOAD=1 loads it again), prints the
Python cost of one call of each scenario, and with BENCH_PROFILE_TOP=N the N most expensive functions
of each (cProfile, cumulative and own CPU time).
"""

from __future__ import annotations

import cProfile
import os
import pstats
import random
import sys
import time
import uuid
from collections.abc import Callable
from typing import Any

import psycopg
from com.coralogixapis.incidents.v1 import incident_pb2 as pb
from com.coralogixapis.incidents.v1 import incidents_service_pb2 as svc
from google.protobuf.wrappers_pb2 import StringValue
from incidents_service_api.v1 import incidents_service_api_pb2 as api

from bench.scale import ADMIN_URL, load_team
from bench.throughput import add_rules, alert_batch
from incidents_service import auth
from incidents_service.api.page_tokens import PageTokenCodec
from incidents_service.api.servicers import AlertIngestionServicer, IncidentsServicer
from incidents_service.deadlines import CallDeadline, deadline_of_call
from incidents_service.operations import IncidentOperations
from incidents_service.storage.database import create_database_engine
from incidents_service.storage.migrate import migrate

INCIDENTS = int(os.environ.get("BENCH_INCIDENTS", "100000"))
DATABASE = os.environ.get("BENCH_PROFILE_DATABASE", "incidents_profile")
TOP = int(os.environ.get("BENCH_PROFILE_TOP", "0"))
CALLS = int(os.environ.get("BENCH_PROFILE_CALLS", "300"))


def prepare(url: str) -> str:
    """The team id of the loaded database, creating and loading it first when needed."""
    with psycopg.connect(ADMIN_URL, autocommit=True) as admin:
        exists = admin.execute("SELECT 1 FROM pg_database WHERE datname = %s", [DATABASE]).fetchone()
        if exists and os.environ.get("BENCH_PROFILE_RELOAD"):
            admin.execute(f'DROP DATABASE "{DATABASE}" WITH (FORCE)')
            exists = None
        if not exists:
            admin.execute(f'CREATE DATABASE "{DATABASE}"')
    engine = create_database_engine(url)
    migrate(engine)
    with psycopg.connect(url) as conn:
        row = conn.execute("SELECT id FROM teams WHERE name = 'profile'").fetchone()
        if row is not None:
            return str(row[0])
    team = auth.create_team(engine, "profile")
    add_rules(url, team.id, "http://127.0.0.1:9/hook")  # enabled for ingest_rules only; no dispatcher runs here
    engine.dispose()
    with psycopg.connect(url) as conn:
        load_team(conn, team.id, INCIDENTS, seed=5)
        conn.commit()
        conn.autocommit = True
        conn.execute("VACUUM ANALYZE")
    return team.id


def enable_rules(url: str, enabled: bool) -> None:
    with psycopg.connect(url) as conn:
        conn.execute("UPDATE notification_rules SET enabled = %s", [enabled])


def scenarios(url: str, team_id: str) -> dict[str, Callable[[], Any]]:
    engine = create_database_engine(url)
    operations = IncidentOperations(engine)
    incidents = IncidentsServicer(operations, PageTokenCodec(b"profile" * 4))
    ingestion = AlertIngestionServicer(operations)
    with psycopg.connect(url) as conn:
        ids = [row[0] for row in conn.execute("SELECT id FROM incidents WHERE team_id = %s", [team_id])]
        triggered = [
            row[0]
            for row in conn.execute(
                "SELECT id FROM incidents WHERE team_id = %s AND status = 'TRIGGERED' AND closed_at IS NULL", [team_id]
            )
        ]
        keys = [
            row[0]
            for row in conn.execute(
                "SELECT correlation_key FROM incidents WHERE team_id = %s AND closed_at IS NULL LIMIT 5000", [team_id]
            )
        ]
    rng = random.Random(3)
    status_filter = pb.IncidentQueryFilter(status=[pb.INCIDENT_STATUS_TRIGGERED])
    first = svc.ListIncidentsRequest(filter=status_filter)
    first.pagination.page_size.value = 50
    token = incidents.ListIncidents(first, None).pagination.next_page_token.value  # type: ignore[arg-type]
    following = svc.ListIncidentsRequest(filter=status_filter)
    following.pagination.page_size.value = 50
    following.pagination.page_token.value = token
    run = uuid.uuid4().hex[:8]

    def acknowledge() -> Any:
        # Each TRIGGERED incident once: a run acknowledges a few hundred of the database's thousands (the
        # ingest scenario opens more; BENCH_PROFILE_RELOAD=1 starts afresh).
        target = triggered.pop()
        return incidents.AcknowledgeIncidents(
            svc.AcknowledgeIncidentsRequest(incident_ids=[StringValue(value=target)]),
            None,  # type: ignore[arg-type]
        )

    def ingest() -> Any:
        return ingestion.ReportAlertEvents(alert_events(), None)  # type: ignore[arg-type]

    def ingest_rules() -> Any:
        # The same call while the team's 10 rules fire on every new incident (bench/throughput.py's
        # ingest_rules): what writing the changes costs the call; no dispatcher fans them out here.
        return ingestion.ReportAlertEvents(alert_events(), None)  # type: ignore[arg-type]

    def alert_events() -> api.ReportAlertEventsRequest:
        # As make bench sends them: half open new incidents, half go to open incidents of the team.
        return alert_batch(rng, run, keys)

    return {
        "get": lambda: incidents.GetIncident(svc.GetIncidentRequest(id=StringValue(value=rng.choice(ids))), None),  # type: ignore[arg-type]
        "batch_get": lambda: incidents.BatchGetIncident(
            svc.BatchGetIncidentRequest(ids=[StringValue(value=i) for i in rng.sample(ids, 20)]),
            None,  # type: ignore[arg-type]
        ),
        "list": lambda: incidents.ListIncidents(first, None),  # type: ignore[arg-type]
        "list_next": lambda: incidents.ListIncidents(following, None),  # type: ignore[arg-type]
        "acknowledge": acknowledge,
        "ingest": ingest,
        "ingest_rules": ingest_rules,
    }


def main(names: list[str]) -> int:
    url = f"{ADMIN_URL.rpartition('/')[0]}/{DATABASE}"
    team_id = prepare(url)
    auth.set_current_caller(auth.Caller(team_id, "profile", "profile@example.com", "profile", auth.ALL_PERMISSIONS))
    calls = scenarios(url, team_id)
    for name in names or list(calls):
        rpc = calls[name]
        enable_rules(url, name == "ingest_rules")

        def call(rpc: Callable[[], Any] = rpc) -> Any:
            # As the interceptor does: a call has a deadline its unit of work registers with.
            with deadline_of_call(CallDeadline(30.0)):
                return rpc()

        count = max(3, CALLS // 50) if name.startswith("ingest") else CALLS
        for _ in range(min(count, 20)):
            call()  # warm up caches and the pool
        started, cpu_started = time.perf_counter(), time.process_time()
        for _ in range(count):
            call()
        wall = (time.perf_counter() - started) / count * 1000
        cpu = (time.process_time() - cpu_started) / count * 1000
        print(f"{name:<12} {wall:8.3f} ms/call wall  {cpu:8.3f} ms/call CPU of this process", flush=True)
        if TOP:
            # CPU time, not wall time: on a loaded machine waits on the database would dominate.
            profiler = cProfile.Profile(time.process_time)
            profiler.enable()
            for _ in range(count):
                call()
            profiler.disable()
            stats = pstats.Stats(profiler)
            stats.sort_stats("cumulative").print_stats(TOP)
            stats.sort_stats("tottime").print_stats(TOP)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
