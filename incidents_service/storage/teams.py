"""Teams and API keys (SPEC section 2). Keys are stored only as a hash of their secret."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Connection, insert, select, update

from incidents_service.domain.access import ApiKeyRecord, Team
from incidents_service.storage.tables import api_keys, service_settings, teams


class AccessRepository:
    def __init__(self, connection: Connection) -> None:
        self._connection = connection

    def add_team(self, team: Team) -> None:
        self._connection.execute(insert(teams).values(id=team.id, name=team.name, created_at=team.created_at))

    def team_by_name(self, name: str) -> Team | None:
        row = self._connection.execute(select(teams).where(teams.c.name == name)).first()
        return Team(row.id, row.name, row.created_at) if row is not None else None

    def team_by_id(self, team_id: str) -> Team | None:
        row = self._connection.execute(select(teams).where(teams.c.id == team_id)).first()
        return Team(row.id, row.name, row.created_at) if row is not None else None

    def list_teams(self) -> list[Team]:
        rows = self._connection.execute(select(teams).order_by(teams.c.name))
        return [Team(row.id, row.name, row.created_at) for row in rows]

    def add_api_key(
        self,
        key_id: str,
        team_id: str,
        principal: str,
        secret_hash: str,
        permissions: frozenset[str],
        created_at: datetime,
    ) -> None:
        self._connection.execute(
            insert(api_keys).values(
                id=key_id,
                team_id=team_id,
                principal=principal,
                secret_hash=secret_hash,
                permissions=",".join(sorted(permissions)),
                created_at=created_at,
            )
        )

    def api_key_by_hash(self, secret_hash: str) -> ApiKeyRecord | None:
        rows = self._select_keys().where(api_keys.c.secret_hash == secret_hash)
        row = self._connection.execute(rows).first()
        return _key_from_row(row) if row is not None else None

    def api_key_by_id(self, key_id: str) -> ApiKeyRecord | None:
        row = self._connection.execute(self._select_keys().where(api_keys.c.id == key_id)).first()
        return _key_from_row(row) if row is not None else None

    def list_api_keys(self, team_id: str | None = None) -> list[ApiKeyRecord]:
        statement = self._select_keys().order_by(teams.c.name, api_keys.c.created_at)
        if team_id is not None:
            statement = statement.where(api_keys.c.team_id == team_id)
        return [_key_from_row(row) for row in self._connection.execute(statement)]

    def key_may_write(self, key_id: str, lock: bool) -> bool:
        """Whether the key is still active, read inside the writing transaction.

        On PostgreSQL the row is locked FOR SHARE until the write commits, so `api-keys revoke` (an
        UPDATE of that row) waits for writes already running and every later write sees the revocation.
        SQLite writers are serialized by BEGIN IMMEDIATE, which gives the same order.
        """
        statement = select(api_keys.c.revoked_at).where(api_keys.c.id == key_id)
        if lock:
            statement = statement.with_for_update(read=True)
        row = self._connection.execute(statement).first()
        return row is not None and row.revoked_at is None

    def revoke_api_key(self, key_id: str, at: datetime) -> bool:
        result = self._connection.execute(
            update(api_keys).where(api_keys.c.id == key_id, api_keys.c.revoked_at.is_(None)).values(revoked_at=at)
        )
        return result.rowcount == 1

    def setting(self, name: str) -> str | None:
        return self._connection.execute(
            select(service_settings.c.value).where(service_settings.c.name == name)
        ).scalar_one_or_none()

    @staticmethod
    def _select_keys():  # type: ignore[no-untyped-def]
        return select(api_keys, teams.c.name.label("team_name")).join(teams, teams.c.id == api_keys.c.team_id)


def _key_from_row(row) -> ApiKeyRecord:  # type: ignore[no-untyped-def]
    return ApiKeyRecord(
        id=row.id,
        team_id=row.team_id,
        team_name=row.team_name,
        principal=row.principal,
        permissions=frozenset(p for p in row.permissions.split(",") if p),
        created_at=row.created_at,
        revoked_at=row.revoked_at,
    )
