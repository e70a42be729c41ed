"""Engines for SQLite (the embedded default) and PostgreSQL (psycopg 3), chosen by database URL."""

from __future__ import annotations

import os
import sqlite3
from typing import Any

import orjson
from sqlalchemy import Engine, create_engine, event, text
from sqlalchemy.engine import make_url
from sqlalchemy.pool import ConnectionPoolEntry, QueuePool

from incidents_service.storage.python_turns import TurnTakingConnection, TurnTakingCursor, TurnTakingSQLiteConnection

# Give up on an unreachable database quickly so calls answer UNAVAILABLE within their deadline.
POSTGRES_CONNECT_TIMEOUT_SECONDS = 3
SQLITE_BUSY_TIMEOUT_SECONDS = 30


def normalize_url(url: str) -> str:
    """Accept plain `postgresql://` URLs and use psycopg 3 for them."""
    parsed = make_url(url)
    if parsed.drivername in ("postgresql", "postgres"):
        parsed = parsed.set(drivername="postgresql+psycopg")
    return parsed.render_as_string(hide_password=False)


def with_statement_timeout(url: str, seconds: float) -> str:
    """A PostgreSQL URL whose sessions stop any statement after `seconds` (the server-side backstop of
    the per-call limit, which the serving process also enforces itself). Other URLs are unchanged."""
    parsed = make_url(normalize_url(url))
    if parsed.get_backend_name() != "postgresql":
        return url
    options = " ".join(
        filter(None, [str(parsed.query.get("options", "")), f"-c statement_timeout={int(seconds * 1000)}"])
    )
    return parsed.update_query_dict({"options": options}).render_as_string(hide_password=False)


def is_sqlite(engine: Engine) -> bool:
    return engine.dialect.name == "sqlite"


def create_database_engine(url: str, pool_size: int = 10) -> Engine:
    """An engine that holds at most `pool_size` PostgreSQL connections, never more (no overflow): what
    bounds the connections a serving process opens (README "Running on PostgreSQL")."""
    url = normalize_url(url)
    backend = make_url(url).get_backend_name()
    if backend == "sqlite":
        return _sqlite_engine(url)
    if backend == "postgresql":
        return _postgres_engine(url, pool_size)
    raise ValueError(f"unsupported database URL scheme {backend!r}: use sqlite:/// or postgresql://")


def create_control_engine(engine: Engine) -> Engine:
    """A small engine of its own for API key look-ups and the health probe, so that neither waits for
    a pooled connection behind queries (SPEC 11)."""
    return create_database_engine(engine.url.render_as_string(hide_password=False), pool_size=2)


def create_read_engine(engine: Engine) -> Engine:
    """The engine read-only units of work use: on PostgreSQL its own pool of autocommit connections.

    Under READ COMMITTED every statement takes its own snapshot, so a read gains nothing from BEGIN ...
    ROLLBACK but round trips. Connections that are autocommit from the start (rather than switched per
    call) and that have nothing to roll back on return cost nothing to check out and in.
    SQLite reads share the one engine.
    """
    if is_sqlite(engine):
        return engine
    pool_size = engine.pool.size() if isinstance(engine.pool, QueuePool) else 10
    return _postgres_engine(
        engine.url.render_as_string(hide_password=False),
        pool_size,
        isolation_level="AUTOCOMMIT",
        pool_reset_on_return=None,
        skip_autocommit_rollback=True,  # the unit of work's rollback on leaving: nothing to roll back
    )


def _json_text(value: Any) -> str:
    """JSON column values encoded with orjson (every write stores a few; json.dumps is several times slower).
    Text, not bytes: SQLite would store bytes as a BLOB, which its JSON functions refuse."""
    return orjson.dumps(value).decode()


def _postgres_engine(url: str, pool_size: int, **options: Any) -> Engine:
    engine = create_engine(
        url,
        json_deserializer=orjson.loads,  # label maps, payloads, alerts: JSON read on every call, decoded fast
        json_serializer=_json_text,
        pool_size=pool_size,
        max_overflow=0,
        # No ping per checkout (a round trip on every call): a connection found dead fails that one
        # call UNAVAILABLE and invalidates the pool, so the next calls reconnect.
        pool_timeout=POSTGRES_CONNECT_TIMEOUT_SECONDS,
        # Sessions in UTC: psycopg then returns timestamps already in datetime.UTC, so no column needs
        # converting them per row (tables.UTCDateTime relies on this).
        # Options given in the URL (the statement_timeout backstop of `serve`) are kept beside it.
        connect_args={
            "connect_timeout": POSTGRES_CONNECT_TIMEOUT_SECONDS,
            "options": " ".join(filter(None, [str(make_url(url).query.get("options", "")), "-c TimeZone=UTC"])),
        },
        **options,
    )

    @event.listens_for(engine, "do_connect")
    def _connect(_dialect: Any, _record: ConnectionPoolEntry, cargs: Any, cparams: dict[str, Any]) -> Any:
        # Connections whose waits give the storage thread's turn up (python_turns.py).
        return TurnTakingConnection.connect(*cargs, cursor_factory=TurnTakingCursor, **cparams)

    return engine


def _sqlite_engine(url: str) -> Engine:
    path = make_url(url).database
    if path and path != ":memory:" and not path.startswith("file:"):
        _owner_only(path)
    engine = create_engine(
        url,
        json_deserializer=orjson.loads,  # label maps, payloads, alerts: JSON read on every call, decoded fast
        json_serializer=_json_text,
        connect_args={
            "check_same_thread": False,
            "timeout": SQLITE_BUSY_TIMEOUT_SECONDS,
            "factory": TurnTakingSQLiteConnection,  # waits give the storage thread's turn up (python_turns.py)
        },
    )

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: sqlite3.Connection, _record: ConnectionPoolEntry) -> None:
        # Let SQLAlchemy's "begin" hook below issue BEGIN itself (pysqlite's own handling defers it).
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(connection: Any) -> None:
        # A writer takes the write lock up front: SQLite has one writer, and a deferred transaction
        # that upgrades from read to write can fail with "database is locked" instead of waiting.
        write = connection.get_execution_options().get("write", False)
        connection.exec_driver_sql("BEGIN IMMEDIATE" if write else "BEGIN")

    return engine


def _owner_only(path: str) -> None:
    """The database file holds every team's incidents, key hashes and the page-token secret: create it
    readable by its owner only (SQLite gives its -wal and -shm files the same mode), and tighten an
    existing file made before this rule.

    An existing file is changed by path only, never opened: closing any descriptor of a SQLite file
    drops every POSIX lock this process holds on it, which other connections rely on.
    """
    try:
        descriptor = os.open(path, os.O_RDWR | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        for name in (path, path + "-wal", path + "-shm"):
            try:
                if os.stat(name).st_uid == os.getuid():
                    os.chmod(name, 0o600)
            except OSError:
                pass  # no such file, or not ours to change
        return
    except OSError:
        return  # a missing folder or a read-only place: SQLite reports it in its own words
    os.close(descriptor)  # a new, empty file: no connection holds a lock on it yet


def ping(engine: Engine) -> bool:
    """True when the database answers a trivial query."""
    try:
        with engine.connect() as connection:
            connection.execute(text("SELECT 1"))
        return True
    except Exception:
        return False


def interrupt(dbapi_connection: object) -> None:
    """Interrupt the statement running on a driver connection, from another thread."""
    if isinstance(dbapi_connection, sqlite3.Connection):
        dbapi_connection.interrupt()
    else:
        dbapi_connection.cancel_safe()  # type: ignore[attr-defined]  # psycopg 3
