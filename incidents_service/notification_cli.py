"""`incidents-service notification-rules create|list|get|update|delete`: a team's rules from the command line.

The same operations as NotificationRulesService, on the database directly (like `teams` and `api-keys`),
with the same validation; secrets are never printed.
"""

from __future__ import annotations

import argparse
import sys
from typing import Any

from sqlalchemy import Engine

from incidents_service.domain.errors import FieldViolation, InvalidArgument, NotFound
from incidents_service.domain.model import Severity
from incidents_service.domain.notifications import (
    UPDATABLE_RULE_FIELDS,
    ChangeType,
    LabelMatcher,
    NotificationRule,
    NotificationTarget,
    RuleDraft,
    TargetKind,
    check_label_matcher,
    check_rule_name,
    check_secret,
    check_target_url,
)
from incidents_service.domain.queries import PageRequest
from incidents_service.notification_operations import NotificationOperations
from incidents_service.operations import IncidentOperations
from incidents_service.storage.unit_of_work import UnitOfWork

CHANGE_NAMES = ", ".join(change.value for change in ChangeType)
SEVERITY_NAMES = ", ".join(severity.name.lower() for severity in Severity)


def add_commands(commands: Any, database: argparse.ArgumentParser) -> None:
    """The `notification-rules` command and its actions, beside the other commands."""
    actions = commands.add_parser("notification-rules", help="manage a team's notification rules").add_subparsers(
        dest="rules_command", required=True, metavar="ACTION"
    )
    team = argparse.ArgumentParser(add_help=False)
    team.add_argument("--team", required=True, help="the team's name")

    create = actions.add_parser(
        "create",
        parents=[database, team],
        help="create a rule: which incident changes are sent to a webhook or Slack",
    )
    _rule_arguments(create, creating=True)

    actions.add_parser("list", parents=[database, team], help="list the team's rules (never their secrets)")
    get = actions.add_parser("get", parents=[database, team], help="show one rule")
    get.add_argument("rule_id")

    update = actions.add_parser(
        "update", parents=[database, team], help="change the given fields of a rule (others stay as they are)"
    )
    update.add_argument("rule_id")
    _rule_arguments(update, creating=False)

    delete = actions.add_parser(
        "delete", parents=[database, team], help="delete a rule; its undelivered notifications fail"
    )
    delete.add_argument("rule_id")


def _rule_arguments(parser: argparse.ArgumentParser, creating: bool) -> None:
    parser.add_argument("--name", required=creating, help="the rule's name")
    parser.add_argument(
        "--changes",
        default="opened,reopened,resolved" if creating else None,
        help=f"comma-separated changes that fire it: {CHANGE_NAMES}"
        + (" (default: opened,reopened,resolved)" if creating else ""),
    )
    parser.add_argument(
        "--min-severity",
        default="any" if creating else None,
        help=f"the lowest severity it fires for: {SEVERITY_NAMES}, or any" + (" (default: any)" if creating else ""),
    )
    parser.add_argument(
        "--match",
        action="append",
        default=None,
        metavar="KEY=VALUE | KEY!=VALUE",
        help="a contextual label matcher (repeat for several; all must hold)"
        + ("; on update, replaces them all (--match '' clears them)" if not creating else ""),
    )
    target = parser.add_mutually_exclusive_group(required=creating)
    target.add_argument("--webhook", metavar="URL", help="an http(s) URL that takes the JSON body")
    target.add_argument("--slack", metavar="URL", help="a Slack incoming-webhook URL")
    parser.add_argument(
        "--secret",
        help="with --webhook: a signing secret (16 to 1024 characters); '-' reads it from standard input",
    )
    enabled = parser.add_mutually_exclusive_group()
    enabled.add_argument(
        "--disabled", action="store_true", help="create it disabled (default: enabled)" if creating else "disable it"
    )
    if not creating:
        enabled.add_argument("--enabled", action="store_true", help="enable it")


def run(args: argparse.Namespace, engine: Engine) -> int:
    operations = NotificationOperations(IncidentOperations(engine))
    team_id = _team_id(engine, args.team)
    command = args.rules_command
    if command == "list":
        rules = []
        after = None
        while True:  # every rule, a page at a time
            page = operations.list_rules(team_id, PageRequest(size=100, after=after))
            rules.extend(page.items)
            if page.next_after is None:
                break
            after = page.next_after
        print("id\tname\tenabled\tchanges\tmin_severity\tmatchers\ttarget")
        for rule in rules:
            print(_row(rule))
        return 0
    if command == "get":
        print(_details(operations.get_rule(team_id, args.rule_id)))
        return 0
    if command == "delete":
        operations.delete_rule(team_id, args.rule_id)
        print(f"deleted notification rule {args.rule_id}")
        return 0
    draft, fields = _draft(args, creating=command == "create")
    if command == "create":
        rule = operations.create_rule(team_id, "cli", draft)
        print(f"created notification rule {rule.id}")
    else:
        if not fields:
            raise InvalidArgument.single("update", "give at least one field to change")
        rule = operations.update_rule(team_id, "cli", args.rule_id, draft, fields)
        print(f"updated notification rule {rule.id}")
    print(_details(rule))
    return 0


def _team_id(engine: Engine, name: str) -> str:
    with UnitOfWork(engine, team_id="", write=False) as uow:
        team = uow.access.team_by_name(name)
    if team is None:
        raise NotFound("team", [name])
    return team.id


def _draft(args: argparse.Namespace, creating: bool) -> tuple[RuleDraft, tuple[str, ...]]:
    """The rule's values from the flags, validated, and which fields they set (all of them on create)."""
    out: list[FieldViolation] = []
    fields: list[str] = []
    name = args.name or ""
    if args.name is not None:
        check_rule_name("--name", name, out)
        fields.append("name")
    enabled = not args.disabled
    if creating or args.disabled or getattr(args, "enabled", False):
        fields.append("enabled")
    changes: frozenset[ChangeType] = frozenset()
    if args.changes is not None:
        changes = _changes(args.changes, out)
        fields.append("changes")
    minimum: Severity | None = None
    if args.min_severity is not None:
        minimum = _severity(args.min_severity, out)
        fields.append("minimum_severity")
    matchers: list[LabelMatcher] = []
    if args.match is not None or creating:
        matchers = [_matcher(text, out) for text in (args.match or []) if text]
        fields.append("label_matchers")
    target = NotificationTarget(TargetKind.WEBHOOK, "")
    if args.webhook is not None or args.slack is not None:
        target = _target(args, out)
        fields.append("target")
    elif args.secret is not None:
        out.append(FieldViolation("--secret", "give it with --webhook (the target is replaced whole)"))
    if out:
        raise InvalidArgument(out)
    draft = RuleDraft(name, enabled, changes, minimum, matchers, target)
    return draft, tuple(field for field in UPDATABLE_RULE_FIELDS if field in fields)


def _changes(text: str, out: list[FieldViolation]) -> frozenset[ChangeType]:
    found = set()
    for part in (part.strip() for part in text.split(",")):
        try:
            found.add(ChangeType(part))
        except ValueError:
            out.append(FieldViolation("--changes", f"unknown change {part!r}; use {CHANGE_NAMES}"))
    if not found and not out:
        out.append(FieldViolation("--changes", f"name at least one of {CHANGE_NAMES}"))
    return frozenset(found)


def _severity(text: str, out: list[FieldViolation]) -> Severity | None:
    if text.lower() == "any":
        return None
    try:
        return Severity[text.upper()]
    except KeyError:
        out.append(FieldViolation("--min-severity", f"unknown severity {text!r}; use {SEVERITY_NAMES} or any"))
        return None


def _matcher(text: str, out: list[FieldViolation]) -> LabelMatcher:
    key, separator, value = text.partition("=")
    if not separator:
        out.append(FieldViolation("--match", f"{text[:64]!r} is not KEY=VALUE or KEY!=VALUE"))
    matcher = LabelMatcher(key.removesuffix("!").strip(), value, equal=not key.endswith("!"))
    check_label_matcher("--match", matcher, out)
    return matcher


def _target(args: argparse.Namespace, out: list[FieldViolation]) -> NotificationTarget:
    if args.slack is not None:
        check_target_url("--slack", args.slack, out)
        if args.secret is not None:
            out.append(FieldViolation("--secret", "a Slack target takes no signing secret"))
        return NotificationTarget(TargetKind.SLACK, args.slack)
    check_target_url("--webhook", args.webhook, out)
    secret = args.secret
    if secret == "-":
        secret = sys.stdin.readline().rstrip("\n")
    if secret is not None:
        check_secret("--secret", secret, out)
    return NotificationTarget(TargetKind.WEBHOOK, args.webhook, secret or None)


def _target_text(rule: NotificationRule) -> str:
    if rule.target.kind is TargetKind.SLACK:
        return f"slack {rule.target.host}"
    signed = " (signed)" if rule.target.secret else ""
    return f"webhook {rule.target.shown_url()}{signed}"


def _matchers_text(rule: NotificationRule) -> str:
    return ",".join(f"{m.key}{'=' if m.equal else '!='}{m.value}" for m in rule.label_matchers) or "-"


def _row(rule: NotificationRule) -> str:
    return "\t".join(
        [
            rule.id,
            rule.name,
            "yes" if rule.enabled else "no",
            ",".join(change.value for change in ChangeType if change in rule.changes),
            rule.minimum_severity.name.lower() if rule.minimum_severity is not None else "any",
            _matchers_text(rule),
            _target_text(rule),
        ]
    )


def _details(rule: NotificationRule) -> str:
    return "\n".join(
        [
            f"id:           {rule.id}",
            f"name:         {rule.name}",
            f"enabled:      {'yes' if rule.enabled else 'no'}",
            f"changes:      {', '.join(change.value for change in ChangeType if change in rule.changes)}",
            f"min severity: {rule.minimum_severity.name.lower() if rule.minimum_severity is not None else 'any'}",
            f"matchers:     {_matchers_text(rule)}",
            f"target:       {_target_text(rule)}",
            f"updated:      {rule.updated_at:%Y-%m-%d %H:%M:%S}Z by {rule.updated_by}",
        ]
    )
