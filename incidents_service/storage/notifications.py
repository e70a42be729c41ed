"""Notifications in the database: a team's rules, the transactional outbox, and the dispatcher's claims.

- NotificationRepository (one team, inside a unit of work): rules, the outbox writer that the incident
  repository calls with every change it stores (so the notification commits or rolls back with the
  change itself, whichever transport made it), and an incident's actions.
- DeliveryQueue (every team, the dispatcher's): claims due notifications under a lease, atomically
  (PostgreSQL: FOR UPDATE SKIP LOCKED, so replicas claim disjoint rows; SQLite: its one writer),
  and records the attempts.
- notification_counts: notifications by state (for metrics).
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from functools import partial
from typing import Any

from sqlalchemy import (
    Connection,
    Row,
    and_,
    delete,
    func,
    insert,
    literal_column,
    null,
    or_,
    select,
    text,
    union_all,
    update,
)

from incidents_service.domain.model import (
    EventType,
    Incident,
    IncidentSnapshot,
    IncidentState,
    IncidentStatus,
    Severity,
    Standing,
)
from incidents_service.domain.notifications import (
    MAX_ATTEMPTS_SHOWN,
    AttemptOutcome,
    ChangeType,
    DeliveryAttempt,
    DeliveryState,
    IncidentAction,
    LabelMatcher,
    NotificationRule,
    NotificationTarget,
    TargetKind,
    changes_of,
)
from incidents_service.storage.tables import (
    notification_attempts,
    notification_changes,
    notification_rules,
    notifications,
)

_r = notification_rules.c
_n = notifications.c
_ch = notification_changes.c
_a = notification_attempts.c
# A literal, not a bound parameter: only then can both databases use the partial indexes on it.
_PENDING = _n.state == literal_column("'pending'")
_READY: Any = literal_column("ready")  # as the partial index says it, so both databases use the index
# The changes of one unit of work, written by one statement from one JSON parameter (json.dumps is C;
# binding each value through the driver is Python per value): `rows` is [[id, incident id, event id,
# change, changed at, incident, rule ids], ...], in the order the changes happened (so `seq` keeps it).
_INSERT_CHANGES_POSTGRES = text(
    "INSERT INTO notification_changes (id, team_id, incident_id, event_id, change, changed_at, incident, rule_ids) "
    "SELECT f.value->>0, :team_id, f.value->>1, f.value->>2, f.value->>3, CAST(f.value->>4 AS timestamptz), "
    "CAST(f.value->5 AS json), CAST(f.value->6 AS json) "
    "FROM jsonb_array_elements(CAST(:rows AS jsonb)) WITH ORDINALITY AS f(value, n) ORDER BY f.n"
)
_INSERT_CHANGES_SQLITE = text(
    "INSERT INTO notification_changes (id, team_id, incident_id, event_id, change, changed_at, incident, rule_ids) "
    "SELECT json_extract(f.value, '$[0]'), :team_id, json_extract(f.value, '$[1]'), json_extract(f.value, '$[2]'), "
    "json_extract(f.value, '$[3]'), json_extract(f.value, '$[4]'), json_extract(f.value, '$[5]'), "
    "json_extract(f.value, '$[6]') FROM json_each(:rows) AS f ORDER BY f.key"
)
_NOTIFICATION_COLUMNS = (
    "id, team_id, incident_id, rule_id, rule_name, target_kind, target_host, target_key, change_id, state, "
    "ready, attempts, next_attempt_at, last_error, created_at, finished_at"
)
# A fan-out's notifications from one JSON parameter, in the order given (so `seq` is the order of
# delivery): [[id, change id, rule id, rule name, kind, host, key, state, ready, last error], ...].
_INSERT_NOTIFICATIONS_POSTGRES = text(
    f"INSERT INTO notifications ({_NOTIFICATION_COLUMNS}) "
    "SELECT f.value->>0, c.team_id, c.incident_id, f.value->>2, f.value->>3, f.value->>4, f.value->>5, "
    "f.value->>6, c.id, f.value->>7, CAST(f.value->>8 AS boolean), 0, c.changed_at, f.value->>9, c.changed_at, "
    "CASE WHEN f.value->>7 = 'pending' THEN NULL ELSE CAST(:now AS timestamptz) END "
    "FROM jsonb_array_elements(CAST(:rows AS jsonb)) WITH ORDINALITY AS f(value, n) "
    "JOIN notification_changes c ON c.id = f.value->>1 "
    "ORDER BY f.n"
)
_INSERT_NOTIFICATIONS_SQLITE = text(
    f"INSERT INTO notifications ({_NOTIFICATION_COLUMNS}) "
    "SELECT json_extract(f.value, '$[0]'), c.team_id, c.incident_id, json_extract(f.value, '$[2]'), "
    "json_extract(f.value, '$[3]'), json_extract(f.value, '$[4]'), json_extract(f.value, '$[5]'), "
    "json_extract(f.value, '$[6]'), c.id, json_extract(f.value, '$[7]'), json_extract(f.value, '$[8]'), 0, "
    "c.changed_at, json_extract(f.value, '$[9]'), c.changed_at, "
    "CASE WHEN json_extract(f.value, '$[7]') = 'pending' THEN NULL ELSE :now END "
    "FROM json_each(:rows) AS f "
    "JOIN notification_changes c ON c.id = json_extract(f.value, '$[1]') "
    "ORDER BY f.key"
)

# A batch of attempts, [[notification seq, attempted at, outcome, HTTP status, error, duration ms], ...].
_INSERT_ATTEMPTS_POSTGRES = text(
    "INSERT INTO notification_attempts (notification_seq, attempted_at, outcome, http_status, error, duration_ms) "
    "SELECT CAST(f.value->>0 AS bigint), CAST(f.value->>1 AS timestamptz), f.value->>2, "
    "CAST(f.value->>3 AS integer), f.value->>4, CAST(f.value->>5 AS integer) "
    "FROM jsonb_array_elements(CAST(:rows AS jsonb)) WITH ORDINALITY AS f(value, n) ORDER BY f.n"
)
_INSERT_ATTEMPTS_SQLITE = text(
    "INSERT INTO notification_attempts (notification_seq, attempted_at, outcome, http_status, error, duration_ms) "
    "SELECT json_extract(f.value, '$[0]'), json_extract(f.value, '$[1]'), json_extract(f.value, '$[2]'), "
    "json_extract(f.value, '$[3]'), json_extract(f.value, '$[4]'), json_extract(f.value, '$[5]') "
    "FROM json_each(:rows) AS f ORDER BY f.key"
)
# What each attempt leaves its notification, [[seq, state, retry at (pending only), last error], ...]:
# delivered and failed are finished now; pending waits for its retry. Only pending rows change.
_RECORD_OUTCOMES_POSTGRES = text(
    "UPDATE notifications AS n SET attempts = n.attempts + 1, claimed_until = NULL, claimed_by = NULL, "
    "last_error = f.value->>3, state = f.value->>1, "
    "next_attempt_at = COALESCE(CAST(f.value->>2 AS timestamptz), n.next_attempt_at), "
    "finished_at = CASE WHEN f.value->>1 = 'pending' THEN NULL ELSE CAST(:now AS timestamptz) END "
    "FROM jsonb_array_elements(CAST(:rows AS jsonb)) AS f(value) "
    # The seqs again as an array, which the primary key answers: joined to the JSON alone, the planner
    # took every pending row by the partial index when its statistics still said few were pending.
    "WHERE n.seq = ANY(CAST(:seqs AS bigint[])) AND n.seq = CAST(f.value->>0 AS bigint) AND n.state = 'pending'"
)
_RECORD_OUTCOMES_SQLITE = text(
    "UPDATE notifications SET attempts = attempts + 1, claimed_until = NULL, claimed_by = NULL, "
    "last_error = json_extract(f.value, '$[3]'), state = json_extract(f.value, '$[1]'), "
    "next_attempt_at = COALESCE(json_extract(f.value, '$[2]'), next_attempt_at), "
    "finished_at = CASE WHEN json_extract(f.value, '$[1]') = 'pending' THEN NULL ELSE :now END "
    "FROM json_each(:rows) AS f "
    "WHERE notifications.seq = json_extract(f.value, '$[0]') AND notifications.state = 'pending'"
)

# The pending notifications of these incidents, locked: one index look-up per incident. Asked as
# `incident_id IN (...) AND pending`, the planner went by statistics from when few notifications were
# pending and read every pending row through another partial index (seconds, with a backlog).
_PENDING_OF_INCIDENTS_POSTGRES = text(
    "SELECT p.incident_id, p.target_key FROM unnest(CAST(:incident_ids AS text[])) AS wanted(id) "
    "JOIN LATERAL (SELECT incident_id, target_key FROM notifications "
    "WHERE incident_id = wanted.id AND state = 'pending' FOR UPDATE) AS p ON true"
)


class NotificationRepository:
    def __init__(self, connection: Connection, team_id: str, lock_rows: bool) -> None:
        self._connection = connection
        self._team_id = team_id
        self._lock_rows = lock_rows and connection.dialect.name == "postgresql"
        self._enabled: list[NotificationRule] | None = None  # read once per unit of work

    # ---- rules ---------------------------------------------------------------------------------

    def get_rule(self, rule_id: str) -> NotificationRule | None:
        statement = select(notification_rules).where(_r.team_id == self._team_id, _r.id == rule_id)
        if self._lock_rows:
            statement = statement.with_for_update()
        row = self._connection.execute(statement).first()
        return _rule_from_row(row) if row is not None else None

    def count_rules(self) -> int:
        return int(self._connection.execute(select(func.count()).where(_r.team_id == self._team_id)).scalar_one())

    def rules_page(self, after: Sequence[Any] | None, size: int) -> list[NotificationRule]:
        """Up to `size` rules, oldest first (created_at, id), after a keyset position."""
        statement = select(notification_rules).where(_r.team_id == self._team_id)
        if after is not None:
            created_at, rule_id = after
            statement = statement.where(
                or_(_r.created_at > created_at, and_(_r.created_at == created_at, _r.id > rule_id))
            )
        statement = statement.order_by(_r.created_at, _r.id).limit(size)
        return [_rule_from_row(row) for row in self._connection.execute(statement)]

    def add_rule(self, rule: NotificationRule) -> None:
        self._connection.execute(insert(notification_rules).values(team_id=self._team_id, **_rule_values(rule)))

    def save_rule(self, rule: NotificationRule) -> None:
        self._connection.execute(
            update(notification_rules).where(_r.team_id == self._team_id, _r.id == rule.id).values(**_rule_values(rule))
        )
        # Pending notifications go to the rule's target as it is when they are delivered: show that one.
        # Their order keeps the receiver they were written for (target_key): changing it here would
        # merge or split the queues whose heads are marked `ready`.
        self._connection.execute(
            update(notifications)
            .where(_n.rule_id == rule.id, _n.team_id == self._team_id, _PENDING)
            .values(
                target_kind=rule.target.kind.value,
                target_host=rule.target.host,
                rule_name=rule.name,
            )
        )

    def delete_rule(self, rule_id: str, now: datetime) -> bool:
        """Delete a rule; its notifications not yet delivered fail (their target is gone with it)."""
        result = self._connection.execute(
            delete(notification_rules).where(_r.team_id == self._team_id, _r.id == rule_id)
        )
        if not result.rowcount:
            return False
        failed = self._connection.execute(
            update(notifications)
            .where(_n.rule_id == rule_id, _n.team_id == self._team_id, _PENDING)
            .values(
                state=DeliveryState.FAILED.value,
                last_error="the rule was deleted before the notification was delivered",
                finished_at=now,
                claimed_until=None,
                claimed_by=None,
            )
            .returning(_n.seq)
        ).scalars()
        promote_successors(self._connection, list(failed))
        return True

    def enabled_rules(self) -> list[NotificationRule]:
        if self._enabled is None:
            statement = select(notification_rules).where(_r.team_id == self._team_id, _r.enabled.is_(True))
            self._enabled = [_rule_from_row(row) for row in self._connection.execute(statement.order_by(_r.created_at))]
        return self._enabled

    # ---- the outbox ----------------------------------------------------------------------------

    def record_changes(self, changed: Sequence[Incident]) -> None:
        """Write the changes the incidents' new (not yet stored) events are, with the rules each fires,
        in event order: the notifications, decided in the change's own transaction. The dispatcher fans
        each out into one notification per rule (DeliveryQueue.fan_out).

        The first new event of a loaded incident is read against the incident as loaded (its stored
        standing); a new incident starts from nothing. A muted, flapping or maintained incident
        notifies nobody.
        """
        rules = self.enabled_rules()
        if not rules:
            return
        change_rows: list[list[Any]] = []  # [incident id, event id, change, ...]; each gets its id below
        for incident in changed:
            previous: Standing | None = incident.stored_standing
            # Only a new incident has no stored standing, and its first event opens it.
            assert previous is not None or not incident.new_events or incident.new_events[0].type is EventType.OPEN
            for event in incident.new_events:
                after = event.snapshot
                assert after is not None, "a new event is recorded with its snapshot"
                changes = changes_of(event, previous)
                previous = after
                # A muted (snoozed) incident, or one whose alerts flap or are all in maintenance
                # (SPEC 16), notifies nobody.
                if not changes or after.is_muted or incident.suppresses_notifications(event.timestamp):
                    continue
                for change in changes:
                    matching = [rule for rule in rules if rule.fires_on(change, after)]
                    if not matching:
                        continue
                    change_rows.append(
                        [
                            incident.id,
                            event.id,
                            change.value,
                            stored_moment(self._connection, event.timestamp),
                            incident_document(incident, after),
                            [rule.id for rule in matching],
                        ]
                    )
        if change_rows:
            ids = uuid_strings(len(change_rows))
            change_rows = [[change_id, *row] for change_id, row in zip(ids, change_rows, strict=True)]
            postgres = self._connection.dialect.name == "postgresql"
            self._connection.execute(
                _INSERT_CHANGES_POSTGRES if postgres else _INSERT_CHANGES_SQLITE,
                {"team_id": self._team_id, "rows": json.dumps(change_rows)},
            )

    # ---- actions -------------------------------------------------------------------------------

    def count_actions(self, incident_id: str) -> int:
        statement = select(func.count()).where(_n.team_id == self._team_id, _n.incident_id == incident_id)
        return int(self._connection.execute(statement).scalar_one())

    def actions_page(self, incident_id: str, after_seq: int | None, size: int) -> list[tuple[int, IncidentAction]]:
        """Up to `size` notifications of the incident, oldest first, with their newest attempts."""
        statement = (
            select(notifications, _ch.change, _ch.changed_at)
            .join(notification_changes, _ch.id == _n.change_id)
            .where(_n.team_id == self._team_id, _n.incident_id == incident_id)
        )
        if after_seq is not None:
            statement = statement.where(_n.seq > after_seq)
        rows = self._connection.execute(statement.order_by(_n.seq).limit(size)).all()
        attempts = self._attempts_of([row.seq for row in rows])
        return [(int(row.seq), _action_from_row(row, attempts.get(row.seq, []))) for row in rows]

    def _attempts_of(self, seqs: Sequence[int]) -> dict[int, list[DeliveryAttempt]]:
        if not seqs:
            return {}
        rank = func.row_number().over(partition_by=_a.notification_seq, order_by=_a.seq.desc()).label("rank")
        newest = select(notification_attempts, rank).where(_a.notification_seq.in_(seqs)).subquery()
        statement = (
            select(newest).where(newest.c.rank <= MAX_ATTEMPTS_SHOWN).order_by(newest.c.notification_seq, newest.c.seq)
        )
        found: dict[int, list[DeliveryAttempt]] = {}
        for row in self._connection.execute(statement):
            found.setdefault(row.notification_seq, []).append(
                DeliveryAttempt(
                    attempted_at=row.attempted_at,
                    outcome=AttemptOutcome(row.outcome),
                    http_status=row.http_status,
                    error=row.error,
                    duration_ms=row.duration_ms,
                )
            )
        return found


# ---- the dispatcher's queue ----------------------------------------------------------------------


@dataclass(frozen=True)
class ClaimedNotification:
    """A notification a dispatcher holds under its lease, with what it needs to deliver it."""

    seq: int
    id: str
    attempts: int
    created_at: datetime
    change: ChangeType
    changed_at: datetime
    incident: Incident
    rule_id: str
    rule_name: str
    target: NotificationTarget | None  # None: the rule was deleted meanwhile


@dataclass(frozen=True)
class AttemptResult:
    """What one delivery attempt of a claimed notification came to, and what follows for it."""

    seq: int
    attempt: DeliveryAttempt
    next_attempt_at: datetime | None  # pending again from then; None: finished (delivered or failed)


class DeliveryQueue:
    """The dispatcher's view of the outbox: every team's notifications."""

    def __init__(self, connection: Connection) -> None:
        self._connection = connection

    def _claimable(self, now: datetime) -> Any:
        return and_(
            _PENDING, _READY, _n.next_attempt_at <= now, or_(_n.claimed_until.is_(None), _n.claimed_until < now)
        )

    def fan_out(self, now: datetime, limit: int) -> int:
        """Turn up to `limit` changes, oldest first, into one notification per rule they fire; answers
        how many changes it took.

        A rule deleted since the change is a notification failed at once (as deleting a rule fails its
        pending ones). Each pending notification is `ready` when it is the first pending one of its
        incident to its receiver. The changes are locked while fanned out (another replica waits, then
        goes on after them, so one incident's changes are fanned out in order), and so are the pending
        notifications the readiness is decided on: a dispatcher finishing one of those meanwhile either
        commits first (it is then no longer pending here) or waits for this transaction (and then
        marks the new one ready).
        """
        locking = self._connection.dialect.name == "postgresql"
        statement = (
            select(_ch.seq, _ch.id, _ch.incident_id, _ch.rule_ids)
            .where(_ch.rule_ids.is_not(None))
            .order_by(_ch.seq)
            .limit(limit)
        )
        changes = self._connection.execute(statement.with_for_update() if locking else statement).all()
        if not changes:
            return 0
        rule_ids = sorted({rule_id for change in changes for rule_id in change.rule_ids})
        rules = {
            row.id: _rule_from_row(row)
            for row in self._connection.execute(select(notification_rules).where(_r.id.in_(rule_ids)))
        }
        incident_ids = sorted({change.incident_id for change in changes})
        if locking:
            pending = self._connection.execute(_PENDING_OF_INCIDENTS_POSTGRES, {"incident_ids": incident_ids})
        else:
            pending = self._connection.execute(
                select(_n.incident_id, _n.target_key).where(_n.incident_id.in_(incident_ids), _PENDING)
            )
        waiting = {(row.incident_id, row.target_key) for row in pending}
        # What each rule's notifications say of it, worked out once (hashing and parsing its URL) rather
        # than per notification.
        described = {
            rule.id: (rule.name, rule.target.kind.value, rule.target.host, rule.target.key) for rule in rules.values()
        }
        ids = iter(uuid_strings(sum(len(change.rule_ids) for change in changes)))
        rows: list[list[Any]] = []
        for change in changes:
            for rule_id in change.rule_ids:
                rule = described.get(rule_id)
                if rule is None:
                    gone = "the rule was deleted before the notification was delivered"
                    rows.append(
                        [next(ids), change.id, rule_id, "", TargetKind.WEBHOOK.value, "", "", "failed", False, gone]
                    )
                    continue
                name, kind, host, target_key = rule
                pair = (change.incident_id, target_key)
                ready = pair not in waiting
                waiting.add(pair)
                rows.append([next(ids), change.id, rule_id, name, kind, host, target_key, "pending", ready, ""])
        postgres = self._connection.dialect.name == "postgresql"
        self._connection.execute(
            _INSERT_NOTIFICATIONS_POSTGRES if postgres else _INSERT_NOTIFICATIONS_SQLITE,
            {"rows": json.dumps(rows), "now": stored_moment(self._connection, now)},
        )
        self._connection.execute(
            update(notification_changes)
            .where(_ch.seq.in_([change.seq for change in changes]))
            .values(rule_ids=null())  # SQL NULL: None would be JSON null
        )
        return len(changes)

    def any_to_fan_out(self) -> bool:
        statement = select(_ch.seq).where(_ch.rule_ids.is_not(None)).limit(1)
        return self._connection.execute(statement).first() is not None

    def any_due(self, now: datetime) -> bool:
        """A cheap read first, so an idle dispatcher never takes SQLite's write lock."""
        statement = select(_n.seq).where(self._claimable(now)).limit(1)
        return self._connection.execute(statement).first() is not None

    def claim(self, holder: str, now: datetime, lease_seconds: float, limit: int) -> list[ClaimedNotification]:
        """Claim up to `limit` due notifications for `lease_seconds`.

        Only the first pending notification of each incident to each receiver may be claimed (it is
        marked `ready`): the next waits until it is delivered or failed, so every receiver sees each
        incident's changes in order (and one receiver that is down holds up no other). Claimed rows
        are locked and skipped by concurrent claims (PostgreSQL), so two dispatchers never hold one row;
        on SQLite the unit of work holds the one write lock. A dispatcher that dies leaves its claims to
        be taken again when their lease ends.
        """
        candidates = select(_n.seq).where(self._claimable(now)).order_by(_n.next_attempt_at, _n.seq).limit(limit)
        if self._connection.dialect.name == "postgresql":
            candidates = candidates.with_for_update(skip_locked=True, of=notifications)
        claimed = self._connection.execute(
            update(notifications)
            .where(_n.seq.in_(candidates.scalar_subquery()))
            .values(claimed_until=now + timedelta(seconds=lease_seconds), claimed_by=holder)
            .returning(_n.seq)
        ).scalars()
        seqs = sorted(claimed)
        if not seqs:
            return []
        statement = (
            select(
                notifications,
                _ch.change,
                _ch.changed_at,
                _ch.incident,
                _r.target_kind.label("rule_target_kind"),
                _r.target_url,
                _r.target_secret,
            )
            .join(notification_changes, _ch.id == _n.change_id)
            .outerjoin(notification_rules, _r.id == _n.rule_id)
            .where(_n.seq.in_(seqs))
            .order_by(_n.seq)
        )
        return [_claimed_from_row(row) for row in self._connection.execute(statement)]

    def record(self, results: Sequence[AttemptResult], now: datetime) -> None:
        """Record attempts and move each notification on: delivered, failed, or pending until its retry.

        A notification no longer pending (its rule was deleted meanwhile) keeps its state; the attempt
        is recorded all the same, as it was made. Two statements for the whole batch, their rows in one
        JSON parameter: a statement per attempt was most of what delivering cost the server.
        """
        if not results:
            return
        moment = partial(stored_moment, self._connection)
        attempts, outcomes = [], []
        for result in results:
            attempt = result.attempt
            attempts.append(
                [
                    result.seq,
                    moment(attempt.attempted_at),
                    attempt.outcome.value,
                    attempt.http_status,
                    attempt.error,
                    attempt.duration_ms,
                ]
            )
            if attempt.outcome is AttemptOutcome.DELIVERED:
                state, retry_at = DeliveryState.DELIVERED, None
            elif result.next_attempt_at is None:
                state, retry_at = DeliveryState.FAILED, None
            else:
                state, retry_at = DeliveryState.PENDING, moment(result.next_attempt_at)
            outcomes.append([result.seq, state.value, retry_at, attempt.error])
        postgres = self._connection.dialect.name == "postgresql"
        self._connection.execute(
            _INSERT_ATTEMPTS_POSTGRES if postgres else _INSERT_ATTEMPTS_SQLITE, {"rows": json.dumps(attempts)}
        )
        self._connection.execute(
            _RECORD_OUTCOMES_POSTGRES if postgres else _RECORD_OUTCOMES_SQLITE,
            {"rows": json.dumps(outcomes), "now": moment(now)}
            | ({"seqs": [row[0] for row in outcomes]} if postgres else {}),
        )
        promote_successors(self._connection, [result.seq for result in results if result.next_attempt_at is None])


def promote_successors(connection: Connection, finished: Sequence[int]) -> None:
    """Mark ready the next pending notification of each (incident, receiver) whose notifications
    `finished` (delivered or failed) were: now it may be claimed."""
    if not finished:
        return
    done = notifications.alias("done")
    successor = notifications.alias("successor")
    heads = (
        select(func.min(successor.c.seq))
        .join(done, and_(done.c.incident_id == successor.c.incident_id, done.c.target_key == successor.c.target_key))
        .where(done.c.seq.in_(sorted(finished)), successor.c.state == literal_column("'pending'"))
        .group_by(successor.c.incident_id, successor.c.target_key)
    )
    connection.execute(update(notifications).where(_n.seq.in_(heads.scalar_subquery())).values(ready=True))


def notification_counts(connection: Connection) -> dict[DeliveryState, int]:
    """How many notifications are pending, delivered and failed, over every team. A change not yet
    fanned out counts as pending once per rule it fires. One statement, so one snapshot: read apart, a
    fan-out committing between the reads was counted neither as a change nor as a notification."""
    to_fan_out = select(
        literal_column("'to_fan_out'"), func.coalesce(func.sum(func.json_array_length(_ch.rule_ids)), 0)
    ).where(_ch.rule_ids.is_not(None))
    counts = dict.fromkeys(DeliveryState, 0)
    for state, count in connection.execute(union_all(select(_n.state, func.count()).group_by(_n.state), to_fan_out)):
        if state == "to_fan_out":
            counts[DeliveryState.PENDING] += int(count)
        else:
            counts[DeliveryState(state)] += int(count)
    return counts


def stored_moment(connection: Connection, moment: datetime) -> str:
    """A time as a UTCDateTime column stores it, for statements that take their values as JSON:
    PostgreSQL reads ISO 8601 with its offset; SQLite keeps naive UTC text, which must sort as text."""
    moment = moment.astimezone(UTC)
    if connection.dialect.name == "postgresql":
        return moment.isoformat()
    return moment.replace(tzinfo=None).strftime("%Y-%m-%d %H:%M:%S.%f")


def uuid_strings(count: int) -> list[str]:
    """`count` random (version 4) UUIDs as strings, from one read of the system's randomness: building
    uuid.UUID objects cost 6 us each, a third of writing the 5,000 notifications of a large call."""
    digits = os.urandom(16 * count).hex()
    found = []
    for start in range(0, 32 * count, 32):
        h = digits[start : start + 32]
        variant = "89ab"[int(h[16], 16) & 3]
        found.append(f"{h[:8]}-{h[8:12]}-4{h[13:16]}-{variant}{h[17:20]}-{h[20:]}")
    return found


# ---- row mapping -------------------------------------------------------------------------------


def _rule_values(rule: NotificationRule) -> dict[str, Any]:
    return {
        "id": rule.id,
        "name": rule.name,
        "enabled": rule.enabled,
        "changes": sorted(change.value for change in rule.changes),
        "minimum_severity": int(rule.minimum_severity) if rule.minimum_severity is not None else None,
        "label_matchers": [[m.key, m.value, m.equal] for m in rule.label_matchers],
        "target_kind": rule.target.kind.value,
        "target_url": rule.target.url,
        "target_secret": rule.target.secret,
        "created_at": rule.created_at,
        "updated_at": rule.updated_at,
        "updated_by": rule.updated_by,
    }


def _rule_from_row(row: Row[Any]) -> NotificationRule:
    return NotificationRule(
        id=row.id,
        name=row.name,
        enabled=bool(row.enabled),
        changes=frozenset(ChangeType(change) for change in row.changes),
        minimum_severity=Severity(row.minimum_severity) if row.minimum_severity is not None else None,
        label_matchers=[LabelMatcher(key, value, bool(equal)) for key, value, equal in row.label_matchers],
        target=NotificationTarget(TargetKind(row.target_kind), row.target_url, row.target_secret),
        created_at=row.created_at,
        updated_at=row.updated_at,
        updated_by=row.updated_by,
    )


def _action_from_row(row: Row[Any], attempts: list[DeliveryAttempt]) -> IncidentAction:
    state = DeliveryState(row.state)
    return IncidentAction(
        id=row.id,
        rule_id=row.rule_id,
        rule_name=row.rule_name,
        change=ChangeType(row.change),
        change_time=row.changed_at,
        target_kind=TargetKind(row.target_kind),
        target_host=row.target_host,
        state=state,
        attempt_count=row.attempts,
        last_error=row.last_error,
        created_at=row.created_at,
        next_attempt_at=row.next_attempt_at if state is DeliveryState.PENDING else None,
        finished_at=row.finished_at,
        attempts=attempts,
    )


def _claimed_from_row(row: Row[Any]) -> ClaimedNotification:
    target = None
    if row.rule_target_kind is not None:
        target = NotificationTarget(TargetKind(row.rule_target_kind), row.target_url, row.target_secret)
    return ClaimedNotification(
        seq=int(row.seq),
        id=row.id,
        attempts=row.attempts,
        created_at=row.created_at,
        change=ChangeType(row.change),
        changed_at=row.changed_at,
        incident=incident_from_document(row.incident),
        rule_id=row.rule_id,
        rule_name=row.rule_name,
        target=target,
    )


# The incident as a change left it, kept with the change (JSON): what the notification shows even if
# the incident changes again, or is deleted, before delivery.
_TIMES = ("created_at", "closed_at", "last_state_update_time", "snoozed_until", "acknowledged_at", "resolved_at")


def incident_document(incident: Incident, after: IncidentSnapshot) -> dict[str, Any]:
    """The incident's fields, with those its event's snapshot keeps as they were right after the event
    (one unit of work may record several events of one incident)."""
    document: dict[str, Any] = {
        "id": incident.id,
        "team_id": incident.team_id,
        "correlation_key": incident.correlation_key,
        "name": after.name,
        "description": incident.description,
        "severity": int(after.severity),
        "state": after.state.value,
        "status": after.status.value,
        "assigned_to": incident.assigned_to,
        "assigned_by": incident.assigned_by,
        "contextual_labels": after.contextual_labels,
        "display_labels": after.display_labels,
        "meta_labels": [list(pair) for pair in after.meta_labels],
        "application_name": incident.application_name,
        "subsystem_name": incident.subsystem_name,
        "last_state_update_key": incident.last_state_update_key,
        "alert_muted": incident.alert_muted,
    }
    for name in _TIMES:
        value = getattr(incident, name)
        document[name] = value.isoformat() if value is not None else None
    return document


def incident_from_document(document: Mapping[str, Any]) -> Incident:
    def moment(name: str) -> datetime | None:
        value = document.get(name)
        return datetime.fromisoformat(value) if value else None

    created_at = moment("created_at")
    assert created_at is not None
    return Incident(
        id=document["id"],
        team_id=document["team_id"],
        name=document["name"],
        description=document["description"],
        severity=Severity(document["severity"]),
        state=IncidentState(document["state"]),
        status=IncidentStatus(document["status"]),
        created_at=created_at,
        correlation_key=document["correlation_key"],
        assigned_to=document["assigned_to"],
        assigned_by=document["assigned_by"],
        contextual_labels=dict(document["contextual_labels"]),
        display_labels=dict(document["display_labels"]),
        meta_labels=[(key, value) for key, value in document["meta_labels"]],
        application_name=document["application_name"],
        subsystem_name=document["subsystem_name"],
        closed_at=moment("closed_at"),
        last_state_update_time=moment("last_state_update_time"),
        last_state_update_key=document["last_state_update_key"],
        alert_muted=bool(document["alert_muted"]),
        snoozed_until=moment("snoozed_until"),
        acknowledged_at=moment("acknowledged_at"),
        resolved_at=moment("resolved_at"),
    )
