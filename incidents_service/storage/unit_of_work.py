"""The unit of work: one transaction, rolled back unless committed, with storage errors translated.

with unit_of_work(team_id, write=True) as uow:
    incident = uow.incidents.get(incident_id)
    ...
    uow.commit()
"""

from __future__ import annotations

from contextlib import ExitStack, suppress
from types import TracebackType

from sqlalchemy import Connection, Engine
from sqlalchemy.exc import DBAPIError, IntegrityError, OperationalError, TimeoutError

from incidents_service.deadlines import CallDeadline, current_deadline
from incidents_service.domain.errors import (
    CallEnded,
    ConcurrentConflict,
    FieldViolation,
    InvalidArgument,
    StorageUnavailable,
)
from incidents_service.storage.database import interrupt
from incidents_service.storage.notes import NoteRepository
from incidents_service.storage.repository import IncidentRepository
from incidents_service.storage.teams import AccessRepository

# PostgreSQL SQLSTATEs that mean "another transaction won; run yours again".
_RETRYABLE_SQLSTATES = {"40001", "40P01", "23505"}


class UnitOfWork:
    incidents: IncidentRepository
    notes: NoteRepository
    access: AccessRepository

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
            raise CallEnded()
        try:
            connection = self._engine.connect()
            if self._write:
                connection = connection.execution_options(write=True)
            connection.begin()
        except Exception as exc:
            raise translate_storage_error(exc) from exc
        self._connection = connection
        if self._deadline is not None:
            self._watch.enter_context(self._deadline.on_cancel(self._interrupt))
        self.incidents = IncidentRepository(connection, self._team_id, lock_rows=self._write)
        self.notes = NoteRepository(connection, self._team_id, lock_rows=self._write)
        self.access = AccessRepository(connection)
        return self

    def commit(self) -> None:
        assert self._connection is not None
        if self._deadline is not None and self._deadline.expired():
            # Nobody waits for this answer any more, and the client may already retry: roll back.
            raise CallEnded()
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
            raise CallEnded() from exc
        if isinstance(exc, Exception):
            translated = translate_storage_error(exc)
            if translated is not exc:
                raise translated from exc


def translate_storage_error(exc: Exception) -> Exception:
    """Database errors become domain errors the API knows how to answer; others pass unchanged."""
    if isinstance(exc, IntegrityError) and _is_unique_violation(exc):
        return ConcurrentConflict(str(exc.orig))
    if isinstance(exc, DBAPIError):
        sqlstate = getattr(exc.orig, "sqlstate", None)
        if sqlstate in _RETRYABLE_SQLSTATES:
            return ConcurrentConflict(str(exc.orig))
        if sqlstate is not None and sqlstate.startswith("54"):
            # program_limit_exceeded: a value too large for an index entry. The limits checked at the
            # API edge keep requests below these, so this is a last guard: the request is the problem.
            return InvalidArgument([FieldViolation("request", "a value is too large for the database to store")])
        if isinstance(exc, OperationalError) or exc.connection_invalidated:
            return StorageUnavailable("the database is unavailable; retry later")
    if isinstance(exc, TimeoutError):
        return StorageUnavailable("no database connection became free in time; retry later")
    return exc


def _is_unique_violation(exc: IntegrityError) -> bool:
    if getattr(exc.orig, "sqlstate", None) == "23505":
        return True
    return "UNIQUE constraint failed" in str(exc.orig)
