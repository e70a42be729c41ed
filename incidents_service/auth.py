"""API keys, teams and permissions (SPEC section 2).

A key is `ik_<key id>_<secret>`: the key id lets operators tell keys apart in `api-keys list` and
logs; only the sha256 of the whole key is stored. Keys carry 256 random bits, so a fast hash is safe.
"""

from __future__ import annotations

import asyncio
import contextvars
import hashlib
import secrets
import threading
import time
from concurrent.futures import Executor
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import Engine

from incidents_service.domain.access import ApiKeyRecord, Team
from incidents_service.domain.errors import InvalidArgument, NotFound, PermissionDenied, Unauthenticated
from incidents_service.domain.model import new_id
from incidents_service.storage.unit_of_work import UnitOfWork

READ = "incidents:read"
ASSIGN = "incidents:assign"
ACKNOWLEDGE = "incidents:acknowledge"
CLOSE = "incidents:close"
DELETE = "incidents:delete"
WRITE = "incidents:write"
INGEST = "incidents:ingest"
MANAGE_NOTIFICATIONS = "notifications:manage"
ALL_PERMISSIONS = frozenset({READ, ASSIGN, ACKNOWLEDGE, CLOSE, DELETE, WRITE, INGEST, MANAGE_NOTIFICATIONS})

_INCIDENTS = "/com.coralogixapis.incidents.v1.IncidentsService/"
_INGESTION = "/incidents_service.v1.AlertIngestionService/"
_MANAGEMENT = "/incidents_service.v1.IncidentManagementService/"
_NOTES = "/incidents_service.v1.IncidentNotesService/"
_INSIGHTS = "/incidents_service.v1.IncidentInsightsService/"
_NOTIFICATION_RULES = "/incidents_service.v1.NotificationRulesService/"
_ACTIONS = "/incidents_service.v1.IncidentActionsService/"
_ALERTS = "/incidents_service.v1.IncidentAlertsService/"
_ALERT_SETTINGS = "/incidents_service.v1.AlertSettingsService/"
_MAINTENANCE = "/incidents_service.v1.MaintenanceWindowsService/"
_CORRELATION = "/incidents_service.v1.CorrelationRulesService/"

# The permission each rpc needs (SPEC section 2). An rpc missing here is refused, never let through.
METHOD_PERMISSIONS: dict[str, str] = {
    **{
        _INCIDENTS + name: READ
        for name in (
            "GetIncident",
            "BatchGetIncident",
            "ListIncidents",
            "ListIncidentAggregations",
            "GetFilterValues",
            "GetIncidentEvents",
            "GetIncidentByEventId",
            "GetIncidentUsingCorrelationKey",
            "ListIncidentEvents",
            "ListIncidentEventsTotalCount",
            "ListIncidentEventsFilterValues",
        )
    },
    _INCIDENTS + "AssignIncidents": ASSIGN,
    _INCIDENTS + "UnassignIncidents": ASSIGN,
    _INCIDENTS + "AcknowledgeIncidents": ACKNOWLEDGE,
    _INCIDENTS + "AcknowledgeIncidentByEventId": ACKNOWLEDGE,
    _INCIDENTS + "ResolveIncidents": CLOSE,
    _INCIDENTS + "ResolveIncidentByEventId": CLOSE,
    _INCIDENTS + "CloseIncidents": CLOSE,
    _MANAGEMENT + "SnoozeIncidents": CLOSE,
    _INCIDENTS + "DeleteIncidents": DELETE,
    _MANAGEMENT + "CreateIncident": WRITE,
    _MANAGEMENT + "UpdateIncident": WRITE,
    _INGESTION + "ReportAlertEvents": INGEST,
    _NOTES + "GetNote": READ,
    _NOTES + "ListNotes": READ,
    _INSIGHTS + "GetIncidentTimeline": READ,
    _INSIGHTS + "GetIncidentStatistics": READ,
    _ALERTS + "ListIncidentAlerts": READ,
    _ALERT_SETTINGS + "GetAlertSettings": READ,
    _ALERT_SETTINGS + "UpdateAlertSettings": WRITE,
    _MAINTENANCE + "CreateMaintenanceWindow": WRITE,
    _MAINTENANCE + "ListMaintenanceWindows": READ,
    _MAINTENANCE + "DeleteMaintenanceWindow": WRITE,
    _CORRELATION + "CreateCorrelationRule": WRITE,
    _CORRELATION + "ListCorrelationRules": READ,
    _CORRELATION + "DeleteCorrelationRule": WRITE,
    _NOTES + "CreateNote": WRITE,
    _NOTES + "UpdateNote": WRITE,
    _NOTES + "DeleteNote": WRITE,
    **{
        _NOTIFICATION_RULES + name: MANAGE_NOTIFICATIONS
        for name in (
            "CreateNotificationRule",
            "GetNotificationRule",
            "ListNotificationRules",
            "UpdateNotificationRule",
            "DeleteNotificationRule",
        )
    },
    _ACTIONS + "ListIncidentActions": READ,
}

# The HTTP routes that are not rpcs (SPEC 12): the alert intakes of Alertmanager and PagerDuty senders.
HTTP_ROUTE_PERMISSIONS: dict[str, str] = {
    "/v1/intake/alertmanager": INGEST,
    "/v2/enqueue": INGEST,
}

# Health and reflection answer without a key so probes and `grpcurl list` work.
UNAUTHENTICATED_PREFIXES = ("/grpc.health.v1.Health/", "/grpc.reflection.")

# How long a looked-up key is trusted for reads before it is read again: a revoked key stops reading
# within this on every replica (SPEC 11). Writes re-check the key in their own transaction.
KEY_CACHE_SECONDS = 1.0
KEY_CACHE_ENTRIES = 10_000


@dataclass(frozen=True)
class Caller:
    """Who is calling: the team whose data they see and the principal recorded on their actions."""

    team_id: str
    team_name: str
    principal: str
    key_id: str
    permissions: frozenset[str]


_current_caller: contextvars.ContextVar[Caller] = contextvars.ContextVar("current_caller")


def current_caller() -> Caller:
    """The authenticated caller of the rpc being served (set by the interceptor)."""
    return _current_caller.get()


def set_current_caller(caller: Caller) -> contextvars.Token[Caller]:
    return _current_caller.set(caller)


def reset_current_caller(token: contextvars.Token[Caller]) -> None:
    _current_caller.reset(token)


def hash_key(api_key: str) -> str:
    return hashlib.sha256(api_key.encode("utf-8")).hexdigest()


def parse_permissions(text: str | None) -> frozenset[str]:
    """Comma-separated permissions (all of them when None); a ValueError names what is wrong in full."""
    if text is None:
        return ALL_PERMISSIONS
    permissions = frozenset(p.strip() for p in text.split(",") if p.strip())
    unknown = sorted(permissions - ALL_PERMISSIONS)
    choices = ", ".join(sorted(ALL_PERMISSIONS))
    if unknown:
        raise ValueError(f"unknown permission {', '.join(unknown)}; the permissions are {choices}")
    if not permissions:
        raise ValueError(f"name at least one permission: {choices}")
    return permissions


class TeamNotFound(NotFound):
    """A team given to a command that is neither a team's name nor its id."""

    def __init__(self, team: str) -> None:
        super().__init__("team", [team])
        self.team = team

    def __str__(self) -> str:
        return f"no team has the name or id {self.team!r} (`incidents-service teams list` lists them)"


def find_team(uow: UnitOfWork, team: str) -> Team:
    """The team of a name, or else of an id: commands take either."""
    found = uow.access.team_by_name(team) or uow.access.team_by_id(team)
    if found is None:
        raise TeamNotFound(team)
    return found


class Authenticator:
    """Turns the `authorization` metadata into a Caller, with a short cache of looked-up keys.

    Look-ups run on their own engine (a small pool of its own) and, when served, on their own threads:
    authentication never waits for a connection or a thread behind other callers' queries.
    """

    def __init__(
        self, engine: Engine, cache_seconds: float = KEY_CACHE_SECONDS, executor: Executor | None = None
    ) -> None:
        self._engine = engine
        self._cache_seconds = cache_seconds
        self._executor = executor
        self._cache: dict[str, tuple[float, ApiKeyRecord | None]] = {}
        self._lock = threading.Lock()

    def authenticate(self, authorization: str | None) -> Caller:
        secret_hash = _secret_hash(authorization)
        record = self._cached(secret_hash)
        return _caller(self._lookup(secret_hash) if record is _MISS else record)

    async def authenticate_async(self, authorization: str | None) -> Caller:
        """The same, for the event loop: a cached key answers at once; a look-up runs on the executor."""
        secret_hash = _secret_hash(authorization)
        record = self._cached(secret_hash)
        if record is _MISS:
            record = await asyncio.get_running_loop().run_in_executor(self._executor, self._lookup, secret_hash)
        return _caller(record)

    def _cached(self, secret_hash: str) -> ApiKeyRecord | object | None:
        with self._lock:
            cached = self._cache.get(secret_hash)
        if cached is not None and time.monotonic() - cached[0] < self._cache_seconds:
            return cached[1]
        return _MISS

    def _lookup(self, secret_hash: str) -> ApiKeyRecord | None:
        looked_up_at = time.monotonic()
        with UnitOfWork(self._engine, team_id="", write=False) as uow:
            record = uow.access.api_key_by_hash(secret_hash)
        with self._lock:
            if len(self._cache) >= KEY_CACHE_ENTRIES:  # bounded: unknown keys must not grow memory without limit
                self._cache.clear()
            self._cache[secret_hash] = (looked_up_at, record)
        return record


_MISS = object()


def _secret_hash(authorization: str | None) -> str:
    if not authorization:
        raise Unauthenticated("missing `authorization: Bearer <api key>` metadata")
    scheme, _, api_key = authorization.strip().partition(" ")
    api_key = api_key.strip()
    if scheme.lower() != "bearer" or not api_key or " " in api_key or len(api_key) > 256:
        raise Unauthenticated("malformed authorization metadata: expected `Bearer <api key>`")
    return hash_key(api_key)


def _caller(record: object) -> Caller:
    if not isinstance(record, ApiKeyRecord):
        raise Unauthenticated("unknown API key")
    if record.revoked_at is not None:
        raise Unauthenticated("this API key has been revoked")
    return Caller(record.team_id, record.team_name, record.principal, record.id, record.permissions)


def authorize(caller: Caller, method: str) -> None:
    permission = METHOD_PERMISSIONS.get(method) or HTTP_ROUTE_PERMISSIONS.get(method)
    if permission is None:
        raise PermissionDenied(f"(no permission grants {method})")
    if permission not in caller.permissions:
        raise PermissionDenied(permission)


# ---- administration (the CLI) ------------------------------------------------------------------


@dataclass(frozen=True)
class IssuedKey:
    key_id: str
    api_key: str  # shown once; never stored


def create_team(engine: Engine, name: str) -> Team:
    name = name.strip()
    if not name or len(name) > 256:
        raise InvalidArgument.single("name", "a team name is 1 to 256 characters")
    with UnitOfWork(engine, team_id="", write=True) as uow:
        if uow.access.team_by_name(name) is not None:
            raise InvalidArgument.single("name", f"a team named {name!r} already exists")
        team = Team(id=new_id(), name=name, created_at=datetime.now(UTC))
        uow.access.add_team(team)
        uow.commit()
    return team


def list_teams(engine: Engine) -> list[Team]:
    with UnitOfWork(engine, team_id="", write=False) as uow:
        return uow.access.list_teams()


def create_api_key(engine: Engine, team: str, principal: str, permissions: frozenset[str]) -> IssuedKey:
    """A new key for the team of that name (or id)."""
    principal = principal.strip()
    if not principal or len(principal) > 1024:
        raise InvalidArgument.single("principal", "a principal is 1 to 1024 characters")
    key_id = secrets.token_hex(6)
    api_key = f"ik_{key_id}_{secrets.token_urlsafe(32)}"
    with UnitOfWork(engine, team_id="", write=True) as uow:
        found = find_team(uow, team)
        uow.access.add_api_key(key_id, found.id, principal, hash_key(api_key), permissions, datetime.now(UTC))
        uow.commit()
    return IssuedKey(key_id=key_id, api_key=api_key)


def list_api_keys(engine: Engine, team: str | None = None) -> list[ApiKeyRecord]:
    """Every key, or those of one team (by name or id)."""
    with UnitOfWork(engine, team_id="", write=False) as uow:
        return uow.access.list_api_keys(None if team is None else find_team(uow, team).id)


def revoke_api_key(engine: Engine, key_id: str) -> None:
    with UnitOfWork(engine, team_id="", write=True) as uow:
        if uow.access.api_key_by_id(key_id) is None:
            raise NotFound("API key", [key_id])
        uow.access.revoke_api_key(key_id, datetime.now(UTC))
        uow.commit()
