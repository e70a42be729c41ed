"""`incidents-service notification-rules` (the CLI), on both databases: create, list, get, update, delete."""

from __future__ import annotations

import uuid

from incidents_service import auth
from incidents_service.cli import main


def _run(capsys, database_url: str, *arguments: str) -> tuple[int, str, str]:
    code = main([*arguments[:2], "--database-url", database_url, *arguments[2:]])
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def test_rules_are_managed_from_the_command_line(engine, database_url, capsys):
    team = auth.create_team(engine, f"cli-{uuid.uuid4().hex[:8]}").name
    code, out, _ = _run(
        capsys, database_url, "notification-rules", "create", "--team", team, "--name", "Critical checkout",
        "--changes", "opened,severity_raised", "--min-severity", "error", "--match", "service=checkout",
        "--match", "env!=staging", "--webhook", "https://ops:pw@hooks.example.com/incidents",
        "--secret", "0123456789abcdef0123",
    )  # fmt: skip
    assert code == 0
    rule_id = out.splitlines()[0].removeprefix("created notification rule ")
    assert uuid.UUID(rule_id)
    assert "target:       webhook https://hooks.example.com/incidents (signed)" in out
    assert "pw" not in out and "0123456789abcdef0123" not in out

    code, out, _ = _run(capsys, database_url, "notification-rules", "list", "--team", team)
    assert code == 0
    header, row = out.splitlines()
    assert header.split("\t") == ["id", "name", "enabled", "changes", "min_severity", "matchers", "target"]
    assert row.split("\t") == [
        rule_id,
        "Critical checkout",
        "yes",
        "opened,severity_raised",
        "error",
        "service=checkout,env!=staging",
        "webhook https://hooks.example.com/incidents (signed)",
    ]

    code, out, _ = _run(
        capsys, database_url, "notification-rules", "update", "--team", team, rule_id, "--disabled",
        "--slack", "https://hooks.slack.com/services/T0/B0/SECRET",
    )  # fmt: skip
    assert code == 0
    assert "enabled:      no" in out and "target:       slack hooks.slack.com" in out and "SECRET" not in out
    code, out, _ = _run(capsys, database_url, "notification-rules", "get", "--team", team, rule_id)
    assert "changes:      opened, severity_raised" in out and "min severity: error" in out

    code, _, err = _run(
        capsys, database_url, "notification-rules", "create", "--team", team, "--name", "x",
        "--webhook", "ftp://x/", "--changes", "opened,nope",
    )  # fmt: skip
    assert code == 2
    assert "--webhook: must be an http or https URL" in err and "unknown change 'nope'" in err

    code, out, _ = _run(capsys, database_url, "notification-rules", "delete", "--team", team, rule_id)
    assert (code, out.strip()) == (0, f"deleted notification rule {rule_id}")
    code, _, err = _run(capsys, database_url, "notification-rules", "get", "--team", team, rule_id)
    assert code == 1 and "not found" in err
