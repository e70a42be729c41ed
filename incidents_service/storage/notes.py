"""The note repository: one team's notes on its incidents, rows <-> Note objects."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, Row, delete, func, insert, select, tuple_, update

from incidents_service.domain.notes import Note
from incidents_service.storage.tables import incident_notes

_c = incident_notes.c


class NoteRepository:
    def __init__(self, connection: Connection, team_id: str, lock_rows: bool) -> None:
        self._connection = connection
        self._team_id = team_id
        # Writers lock the note they revise (PostgreSQL), so concurrent revisions apply one after another.
        self._lock_rows = lock_rows and connection.dialect.name == "postgresql"

    def get(self, note_id: str) -> Note | None:
        statement = select(incident_notes).where(_c.team_id == self._team_id, _c.id == note_id)
        if self._lock_rows:
            statement = statement.with_for_update()
        row = self._connection.execute(statement).first()
        return _note_from_row(row) if row is not None else None

    def add(self, note: Note) -> None:
        self._connection.execute(insert(incident_notes).values(team_id=self._team_id, **_note_values(note)))

    def save(self, note: Note) -> None:
        self._connection.execute(
            update(incident_notes)
            .where(_c.team_id == self._team_id, _c.id == note.id)
            .values(body=note.body, updated_at=note.updated_at, updated_by=note.updated_by)
        )

    def delete(self, note_id: str) -> bool:
        result = self._connection.execute(delete(incident_notes).where(_c.team_id == self._team_id, _c.id == note_id))
        return bool(result.rowcount)

    def count_of(self, incident_id: str) -> int:
        statement = select(func.count()).where(_c.team_id == self._team_id, _c.incident_id == incident_id)
        return int(self._connection.execute(statement).scalar_one())

    def page_of(self, incident_id: str, after: Sequence[Any] | None, size: int) -> list[Note]:
        """Up to `size` notes of the incident, oldest first (created_at, id), after a keyset position."""
        statement = select(incident_notes).where(_c.team_id == self._team_id, _c.incident_id == incident_id)
        if after is not None:
            statement = statement.where(tuple_(_c.created_at, _c.id) > tuple(after))
        statement = statement.order_by(_c.created_at, _c.id).limit(size)
        return [_note_from_row(row) for row in self._connection.execute(statement)]


def _note_values(note: Note) -> dict[str, Any]:
    return {
        "id": note.id,
        "incident_id": note.incident_id,
        "body": note.body,
        "author": note.author,
        "created_at": note.created_at,
        "updated_at": note.updated_at,
        "updated_by": note.updated_by,
    }


def _note_from_row(row: Row[Any]) -> Note:
    created_at: datetime = row.created_at
    return Note(
        id=row.id,
        incident_id=row.incident_id,
        body=row.body,
        author=row.author,
        created_at=created_at,
        updated_at=row.updated_at,
        updated_by=row.updated_by,
    )
