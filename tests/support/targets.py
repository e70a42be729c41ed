"""An incident of one team, and every way a request can name it (the authorization tests)."""

from __future__ import annotations

import uuid
from dataclasses import dataclass


@dataclass(frozen=True)
class Target:
    incident_id: str
    event_id: str  # the id of its OPEN event
    cx_event_key: str
    correlation_key: str
    label: str = ""  # the value of its contextual label `tag`, unique to it
    note_id: str = ""  # a note on it
    rule_id: str = ""  # a notification rule of its team
    window_id: str = ""  # a maintenance window of its team (ended, matching its label)
    correlation_rule_id: str = ""  # a correlation rule of its team (on a label no alert carries)

    def names(self) -> list[str]:
        return [
            self.incident_id,
            self.event_id,
            self.cx_event_key,
            self.correlation_key,
            self.label,
            self.note_id,
            self.rule_id,
            self.window_id,
            self.correlation_rule_id,
        ]


def missing_target() -> Target:
    """Names of the same shapes and lengths as a real Target's, that exist in no team."""
    return Target(
        str(uuid.uuid4()),
        str(uuid.uuid4()),
        f"cx-{uuid.uuid4().hex}",
        f"corr-{uuid.uuid4().hex}",
        f"tag-{uuid.uuid4().hex}",
        str(uuid.uuid4()),
        str(uuid.uuid4()),
        str(uuid.uuid4()),
        str(uuid.uuid4()),
    )
