"""Teams and API keys (SPEC section 2): who may call, and whose incidents they see."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime


@dataclass(frozen=True)
class Team:
    id: str
    name: str
    created_at: datetime


@dataclass(frozen=True)
class ApiKeyRecord:
    """An API key as stored: never its secret, which only its holder has (the store keeps its hash)."""

    id: str
    team_id: str
    team_name: str
    principal: str
    permissions: frozenset[str]
    created_at: datetime
    revoked_at: datetime | None
