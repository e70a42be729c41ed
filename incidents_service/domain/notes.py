"""A responder's note on an incident: free text kept beside the incident, never in its event log."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from incidents_service.domain.model import new_id


@dataclass
class Note:
    id: str
    incident_id: str
    body: str
    author: str
    created_at: datetime
    updated_at: datetime
    updated_by: str

    @classmethod
    def write(cls, incident_id: str, body: str, author: str, now: datetime) -> Note:
        return cls(new_id(), incident_id, body, author, now, now, author)

    def revise(self, body: str, editor: str, now: datetime) -> None:
        """Replace the body: the last revision wins, and says whose it is."""
        self.body = body
        self.updated_at = max(now, self.created_at)
        self.updated_by = editor
