"""The unit of work: one transaction, rolled back unless committed, with storage errors translated.

with unit_of_work(team_id, write=True) as uow:
    incident = uow.incidents.get(incident_id)
    ...
    uow.commit()
"""

from __future__ import annotations

from types import TracebackType

from sqlalchemy import Connection, Engine
from sqlalchemy.exc import DBAPIError, IntegrityError, OperationalError, TimeoutError

from incidents_service.domain.errors import ConcurrentConflict, StorageUnavailable
from incidents_service.storage.repository import IncidentRepository
from incidents_service.storage.teams import AccessRepository

# PostgreSQL SQLSTATEs that mean "another transaction won; run yours again".
_RETRYABLE_SQLSTATES = {"40001", "40P01", "23505"}


class UnitOfWork:
    incidents: IncidentRepository
    access: AccessRepository

    def __init__(self, engine: Engine, team_id: str, write: bool) -> None:
        self._engine = engine
        self._team_id = team_id
        self._write = write
        self._connection: Connection | None = None
        self._committed = False

    def __enter__(self) -> UnitOfWork:
        try:
            connection = self._engine.connect()
            if self._write:
                connection = connection.execution_options(write=True)
            elif connection.dialect.name == "postgresql":
                # Under READ COMMITTED every statement takes its own snapshot, so a read gains nothing
                # from BEGIN ... ROLLBACK but two round trips: reads run in autocommit.
                connection = connection.execution_options(isolation_level="AUTOCOMMIT")
            connection.begin()
        except Exception as exc:
            raise translate_storage_error(exc) from exc
        self._connection = connection
        self.incidents = IncidentRepository(connection, self._team_id, lock_rows=self._write)
        self.access = AccessRepository(connection)
        return self

    def commit(self) -> None:
        assert self._connection is not None
        self._connection.commit()
        self._committed = True

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        assert self._connection is not None
        try:
            if not self._committed:
                self._connection.rollback()
        except Exception:  # the connection is being discarded; the original error is what matters
            pass
        finally:
            self._connection.close()
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
        if isinstance(exc, OperationalError) or exc.connection_invalidated:
            return StorageUnavailable("the database is unavailable; retry later")
    if isinstance(exc, TimeoutError):
        return StorageUnavailable("no database connection became free in time; retry later")
    return exc


def _is_unique_violation(exc: IntegrityError) -> bool:
    if getattr(exc.orig, "sqlstate", None) == "23505":
        return True
    return "UNIQUE constraint failed" in str(exc.orig)
