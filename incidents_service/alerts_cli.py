"""The `incidents-service maintenance` and `correlation-rules` commands (SPEC 16): a team's maintenance
windows and correlation rules from the shell.

They run the same operations and the same validation as MaintenanceWindowsService and
CorrelationRulesService, on the database directly (like `teams` and `api-keys`), recorded as created by
`--principal`.
"""

from __future__ import annotations

import argparse
from datetime import UTC, datetime
from typing import Any

from google.protobuf.timestamp_pb2 import Timestamp
from incidents_service_api.v1 import incident_alerts_pb2 as alr
from sqlalchemy import Engine

from incidents_service import auth
from incidents_service.api import alerts_wire
from incidents_service.api.convert import decode
from incidents_service.domain.correlation import CorrelationRule
from incidents_service.domain.errors import FieldViolation, InvalidArgument, NotFound
from incidents_service.domain.maintenance import MaintenanceWindow
from incidents_service.operations import IncidentOperations

COMMANDS = ("maintenance", "correlation-rules")


def add_commands(commands: Any, database: argparse.ArgumentParser) -> None:
    """Adds the commands to the `incidents-service` parser (`commands`: its subparsers)."""
    maintenance = commands.add_parser("maintenance", help="manage a team's maintenance windows").add_subparsers(
        dest="maintenance_command", required=True, metavar="ACTION"
    )
    create = maintenance.add_parser("create", parents=[database], help="plan a maintenance window")
    create.add_argument("--team", required=True, help="team name")
    create.add_argument(
        "--match",
        action="append",
        required=True,
        metavar="KEY=VALUE",
        help="a label matcher, KEY=VALUE or KEY!=VALUE; repeat for more (all must match)",
    )
    create.add_argument("--start", help="ISO 8601 time (default now; UTC when it names no zone)")
    create.add_argument("--end", required=True, help="ISO 8601 time (UTC when it names no zone)")
    create.add_argument("--name", default="", help="what the window is for")
    create.add_argument("--principal", default="cli", help="recorded as its creator (default cli)")
    listing = maintenance.add_parser("list", parents=[database], help="running and upcoming windows")
    listing.add_argument("--team", required=True, help="team name")
    delete = maintenance.add_parser("delete", parents=[database], help="delete a window by its id")
    delete.add_argument("--team", required=True, help="team name")
    delete.add_argument("id")

    rules = commands.add_parser("correlation-rules", help="manage a team's correlation rules").add_subparsers(
        dest="rules_command", required=True, metavar="ACTION"
    )
    create = rules.add_parser("create", parents=[database], help="add a correlation rule")
    create.add_argument("--team", required=True, help="team name")
    create.add_argument(
        "--label", action="append", required=True, metavar="KEY", help="a label key; repeat for more (all must match)"
    )
    create.add_argument("--window-minutes", type=int, required=True, help="1 to 1440")
    create.add_argument("--name", default="", help="what the rule joins")
    create.add_argument("--principal", default="cli", help="recorded as its creator (default cli)")
    listing = rules.add_parser("list", parents=[database], help="the team's rules, in the order they are tried")
    listing.add_argument("--team", required=True, help="team name")
    delete = rules.add_parser("delete", parents=[database], help="delete a rule by its id")
    delete.add_argument("--team", required=True, help="team name")
    delete.add_argument("id")


def run(args: argparse.Namespace, engine: Engine) -> int:
    operations = IncidentOperations(engine)
    team_id = _team_id(engine, args.team)
    if args.command == "correlation-rules":
        return _rules(args, operations, team_id)
    if args.maintenance_command == "create":
        window = alr.MaintenanceWindow(name=args.name, matchers=[_matcher(text) for text in args.match])
        window.starts_at.CopyFrom(_timestamp("--start", args.start) if args.start else _now())
        window.ends_at.CopyFrom(_timestamp("--end", args.end))
        out: list[FieldViolation] = []
        draft = alerts_wire.maintenance_draft_from_wire("window", window, out)
        decode.check_violations(out)
        assert draft is not None
        created = operations.create_maintenance_window(team_id, args.principal, draft)
        print(f"created maintenance window {created.id}")
        print(_line(created))
    elif args.maintenance_command == "list":
        print("id\tstarts\tends\tmatchers\tname")
        for planned in operations.maintenance_windows(team_id):
            print(_line(planned))
    else:
        operations.delete_maintenance_window(team_id, args.id)
        print(f"deleted maintenance window {args.id}")
    return 0


def _rules(args: argparse.Namespace, operations: IncidentOperations, team_id: str) -> int:
    if args.rules_command == "create":
        wanted = alr.CorrelationRule(name=args.name, label_keys=args.label, window_minutes=max(args.window_minutes, 0))
        out: list[FieldViolation] = []
        draft = alerts_wire.correlation_rule_from_wire("rule", wanted, out)
        decode.check_violations(out)
        rule = operations.create_correlation_rule(team_id, args.principal, draft)
        print(f"created correlation rule {rule.id}")
        print(_rule_line(rule))
    elif args.rules_command == "list":
        print("id\tlabels\twindow_minutes\tname")
        for rule in operations.correlation_rules(team_id):
            print(_rule_line(rule))
    else:
        operations.delete_correlation_rule(team_id, args.id)
        print(f"deleted correlation rule {args.id}")
    return 0


def _rule_line(rule: CorrelationRule) -> str:
    return f"{rule.id}\t{','.join(rule.label_keys)}\t{int(rule.window.total_seconds() // 60)}\t{rule.name}"


def _team_id(engine: Engine, name: str) -> str:
    for team in auth.list_teams(engine):
        if team.name == name:
            return team.id
    raise NotFound("team", [name])


def _matcher(text: str) -> alr.MaintenanceLabelMatcher:
    key, separator, value = text.partition("!=")
    if separator:
        return alr.MaintenanceLabelMatcher(key=key, value=value, not_equal=True)
    key, separator, value = text.partition("=")
    if not separator:
        raise InvalidArgument.single("--match", f"{text!r} is not KEY=VALUE or KEY!=VALUE")
    return alr.MaintenanceLabelMatcher(key=key, value=value)


def _timestamp(option: str, text: str) -> Timestamp:
    try:
        moment = datetime.fromisoformat(text)
    except ValueError as exc:
        raise InvalidArgument.single(option, f"{text!r} is not an ISO 8601 time") from exc
    stamp = Timestamp()
    stamp.FromDatetime(moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC))
    return stamp


def _now() -> Timestamp:
    stamp = Timestamp()
    stamp.FromDatetime(datetime.now(UTC))
    return stamp


def _line(window: MaintenanceWindow) -> str:
    matchers = ",".join(f"{m.key}{'!=' if m.not_equal else '='}{m.value}" for m in window.matchers)
    times = f"{window.starts_at:%Y-%m-%dT%H:%M:%SZ}\t{window.ends_at:%Y-%m-%dT%H:%M:%SZ}"
    return f"{window.id}\t{times}\t{matchers}\t{window.name}"
