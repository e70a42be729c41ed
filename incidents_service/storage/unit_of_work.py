"""The unit of work: one transaction, rolled back unless committed, with storage errors translated.

with unit_of_work(team_id, write=True) as uow:
    incident = uow.incidents.get(incident_id)
    ...
    uow.commit()
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager, suppress
from contextvars import ContextVar
from types import TracebackType

from sqlalchemy import Connection, Engine
from sqlalchemy.exc import DBAPIError, IntegrityError, OperationalError, TimeoutError

from incidents_service import metrics
from incidents_service.deadlines import CallDeadline, current_deadline
from incidents_service.domain.errors import (
    CallEnded,
    ConcurrentConflict,
    FieldViolation,
    InvalidArgument,
    StatementTimeLimit,
    StorageUnavailable,
    Unauthenticated,
)
from incidents_service.storage.alerts import AlertRepository
from incidents_service.storage.correlation import CorrelationRepository
from incidents_service.storage.database import interrupt, is_sqlite
from incidents_service.storage.maintenance import MaintenanceRepository
from incidents_service.storage.notes import NoteRepository
from incidents_service.storage.notifications import DeliveryQueue, NotificationRepository
from incidents_service.storage.python_turns import TURNS
from incidents_service.storage.repository import IncidentRepository
from incidents_service.storage.statement_errors import STATEMENT_REFUSED, refused_for_shape
from incidents_service.storage.teams import AccessRepository
from incidents_service.storage.totals import TotalsRepository

# PostgreSQL SQLSTATEs that mean "another transaction won; run yours again".
_RETRYABLE_SQLSTATES = {"40001", "40P01", "23505"}
# query_canceled: our own cancel request, or the server-side statement_timeout backstop.
_CANCELED_SQLSTATE = "57014"

# The API key a call's writes are made with (set by the interceptor): every write transaction re-reads
# it, so no write commits once `api-keys revoke` has returned (SPEC 11).
_writing_key: ContextVar[str | None] = ContextVar("writing_key", default=None)


@contextmanager
def writes_authorized_by(key_id: str) -> Iterator[None]:
    token = _writing_key.set(key_id)
    try:
        yield
    finally:
        _writing_key.reset(token)


class UnitOfWork:
    incidents: IncidentRepository
    notes: NoteRepository
    notifications: NotificationRepository
    deliveries: DeliveryQueue
    alerts: AlertRepository
    maintenance: MaintenanceRepository
    correlation: CorrelationRepository
    access: AccessRepository
    totals: TotalsRepository

    def __init__(self, engine: Engine, team_id: str, write: bool) -> None:
        self._engine = engine
        self._team_id = team_id
        self._write = write
        self._connection: Connection | None = None
        self._committed = False
        self._deadline: CallDeadline | None = current_deadline()
        self._watch = ExitStack()

    def __enter__(self) -> UnitOfWork:
        if self._deadline is not None and self._deadline.expired():
            raise _ended(self._deadline)
        connection: Connection | None = None
        try:
            asked_at = time.perf_counter()
            with TURNS.waiting():  # a pooled connection may have to be waited for
                connection = self._engine.connect()
            metrics.waited_for_connection(self._engine, time.perf_counter() - asked_at)
            if self._write:
                connection = connection.execution_options(write=True)
            connection.begin()
        except Exception as exc:
            if connection is not None:
                with suppress(Exception):
                    connection.close()
            if self._deadline is not None and self._deadline.expired():
                raise _ended(self._deadline) from exc  # e.g. the deadline passed waiting for SQLite's write lock
            raise translate_storage_error(exc) from exc
        self._connection = connection
        if self._deadline is not None:
            self._watch.enter_context(self._deadline.on_cancel(self._interrupt))
            if self._deadline.expired():
                # The call ended while this waited for a connection: the interrupt hook came too late
                # to be run, so no statement may start at all.
                self.__exit__(None, None, None)
                raise _ended(self._deadline)
        self.notifications = NotificationRepository(connection, self._team_id, lock_rows=self._write)
        self.incidents = IncidentRepository(
            connection, self._team_id, lock_rows=self._write, outbox=self.notifications if self._write else None
        )
        self.notes = NoteRepository(connection, self._team_id, lock_rows=self._write)
        self.deliveries = DeliveryQueue(connection)
        self.alerts = AlertRepository(connection, self._team_id)
        self.maintenance = MaintenanceRepository(connection, self._team_id)
        self.correlation = CorrelationRepository(connection, self._team_id)
        self.access = AccessRepository(connection)
        self.totals = TotalsRepository(connection)
        key_id = _writing_key.get()
        if self._write and key_id is not None:
            try:
                may_write = self.access.key_may_write(key_id, lock=not is_sqlite(self._engine))
            except BaseException as exc:
                self.__exit__(type(exc), exc, exc.__traceback__)
                raise
            if not may_write:
                self.__exit__(None, None, None)
                raise Unauthenticated("this API key has been revoked")
        return self

    def commit(self) -> None:
        assert self._connection is not None
        if self._deadline is not None and self._deadline.expired():
            # Nobody waits for this answer any more, and the client may already retry: roll back.
            raise _ended(self._deadline)
        self._connection.commit()
        self._committed = True

    def _interrupt(self) -> None:
        """Stop the statement running for a call that has ended (called from gRPC's thread)."""
        assert self._connection is not None
        # Should the interrupt fail, the statement ends by itself and the commit check still rolls back.
        with suppress(Exception):
            interrupt(self._connection.connection.dbapi_connection)

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        assert self._connection is not None
        self._watch.close()  # from here on no cancel can reach this connection
        call_ended = self._deadline is not None and self._deadline.expired()
        try:
            if call_ended:
                # A cancel request may still be on its way to the server: never hand the connection on.
                self._connection.invalidate()
            elif not self._committed:
                self._connection.rollback()
        except Exception:  # the connection is being discarded; the original error is what matters
            pass
        finally:
            self._connection.close()
        if call_ended and isinstance(exc, Exception) and not isinstance(exc, CallEnded):
            raise _ended(self._deadline) from exc
        if isinstance(exc, Exception):
            translated = translate_storage_error(exc)
            if translated is not exc:
                raise translated from exc


def _ended(deadline: CallDeadline | None) -> CallEnded:
    """How the call's work was stopped: by the server's time limit while the client still waited, or
    because the client's deadline passed or it went away."""
    if deadline is not None and deadline.stopped_by_server_limit():
        return StatementTimeLimit(deadline.server_limit_seconds)
    return CallEnded()


def translate_storage_error(exc: Exception) -> Exception:
    """Database errors become domain errors the API knows how to answer; others pass unchanged."""
    if isinstance(exc, DBAPIError) and refused_for_shape(exc):
        # A statement the database refuses for its size or shape: the request is the problem (SPEC 11).
        return InvalidArgument([FieldViolation("request", STATEMENT_REFUSED)])
    if isinstance(exc, IntegrityError) and _is_unique_violation(exc):
        return ConcurrentConflict(str(exc.orig))
    if isinstance(exc, DBAPIError):
        sqlstate = getattr(exc.orig, "sqlstate", None)
        if sqlstate in _RETRYABLE_SQLSTATES:
            return ConcurrentConflict(str(exc.orig))
        if sqlstate == _CANCELED_SQLSTATE:
            # The server-side statement_timeout backstop fired before the call's own timer.
            return StatementTimeLimit(None)
        if isinstance(exc, OperationalError) or exc.connection_invalidated:
            return StorageUnavailable("the database is unavailable; retry later")
    if isinstance(exc, TimeoutError):
        return StorageUnavailable("no database connection became free in time; retry later")
    return exc


def _is_unique_violation(exc: IntegrityError) -> bool:
    if getattr(exc.orig, "sqlstate", None) == "23505":
        return True
    return "UNIQUE constraint failed" in str(exc.orig)
