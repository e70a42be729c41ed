"""The `incidents-service` command: serve, migrate, teams, api-keys, demo, dev-setup.

Every failure is one clear line on stderr and a non-zero exit, never a traceback.
"""

from __future__ import annotations

import argparse
import os
import stat
import sys
from collections.abc import Sequence
from dataclasses import replace
from importlib.metadata import version
from pathlib import Path

from sqlalchemy import Engine

from incidents_service import alerts_cli, auth, logs, notification_cli
from incidents_service.config import Settings
from incidents_service.domain.errors import DomainError, NotFound, StorageUnavailable
from incidents_service.storage.database import create_database_engine, normalize_url, with_statement_timeout
from incidents_service.storage.migrate import migrate, schema_is_current

DEV_TEAM = "default"
DEV_PRINCIPAL = "dev@localhost"
DEV_KEY_FILE = Path(".incidents-dev-key")


class CommandError(Exception):
    """A failure reported to the operator as one line."""


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="incidents-service", description="Self-hosted incident management over gRPC.")
    parser.add_argument("--version", action="version", version=f"%(prog)s {version('incidents-service')}")
    database = argparse.ArgumentParser(add_help=False)
    database.add_argument(
        "--database-url", help="SQLAlchemy URL (env INCIDENTS_DATABASE_URL; default sqlite:///incidents.db)"
    )
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    serve = commands.add_parser("serve", parents=[database], help="serve the API over gRPC and HTTP")
    serve.add_argument("--listen", help="HOST:PORT (env INCIDENTS_LISTEN; default 127.0.0.1:50051)")
    serve.add_argument(
        "--http-listen",
        help="HOST:PORT for HTTP: Connect and the alert intake (env INCIDENTS_HTTP_LISTEN; default "
        "127.0.0.1:8080; empty: no HTTP)",
    )
    serve.add_argument("--tls-cert", help="PEM certificate chain (env INCIDENTS_TLS_CERT); TLS only when set")
    serve.add_argument("--tls-key", help="PEM private key (env INCIDENTS_TLS_KEY)")
    serve.add_argument(
        "--workers",
        type=int,
        help="threads running calls' storage work, per process; each of the two database pools holds as many "
        f"connections (env INCIDENTS_WORKERS; default {Settings.workers})",
    )
    serve.add_argument(
        "--log-level", help=f"DEBUG, INFO, WARNING or ERROR (env INCIDENTS_LOG_LEVEL; default {Settings.log_level})"
    )
    serve.add_argument(
        "--grace-seconds",
        type=float,
        help="on SIGTERM, how long calls in flight may take to finish "
        f"(env INCIDENTS_GRACE_SECONDS; default {Settings.grace_seconds:g})",
    )
    serve.add_argument(
        "--processes",
        type=int,
        help="serving processes sharing the port, up to the cores (env INCIDENTS_PROCESSES; default 1)",
    )
    serve.add_argument(
        "--statement-timeout-seconds",
        type=float,
        help="the most one call's queries may run (env INCIDENTS_STATEMENT_TIMEOUT_SECONDS; default 10)",
    )

    serve.add_argument(
        "--webhook-allow-networks",
        help="comma-separated CIDRs notification targets may resolve into although loopback, private or "
        "link-local (env INCIDENTS_WEBHOOK_ALLOW_NETWORKS; default none)",
    )

    commands.add_parser("migrate", parents=[database], help="create or upgrade the database schema")

    teams = commands.add_parser("teams", help="manage teams").add_subparsers(
        dest="teams_command", required=True, metavar="ACTION"
    )
    teams_create = teams.add_parser("create", parents=[database], help="create a team")
    teams_create.add_argument("name", metavar="NAME", help="the team's name, 1 to 256 characters, unique")
    teams.add_parser("list", parents=[database], help="list teams")

    keys = commands.add_parser("api-keys", help="manage API keys").add_subparsers(
        dest="keys_command", required=True, metavar="ACTION"
    )
    keys_create = keys.add_parser("create", parents=[database], help="create a key; prints its secret once")
    keys_create.add_argument("--team", required=True, help="the team's name or id")
    keys_create.add_argument("--principal", required=True, help="user id or service name recorded on actions")
    keys_create.add_argument(
        "--permissions", help=f"comma-separated; default all: {','.join(sorted(auth.ALL_PERMISSIONS))}"
    )
    keys_create.add_argument("--quiet", action="store_true", help="print only the secret")
    keys_list = keys.add_parser("list", parents=[database], help="list keys (never their secrets)")
    keys_list.add_argument("--team", help="only this team's keys (its name or id)")
    keys_revoke = keys.add_parser("revoke", parents=[database], help="revoke a key by its id")
    keys_revoke.add_argument(
        "key_id", metavar="KEY_ID", help="the key's id: the part after ik_ of its secret, as `api-keys list` shows"
    )

    notification_cli.add_commands(commands, database)

    demo = commands.add_parser("demo", parents=[database], help="load realistic demo incidents into a team")
    demo.add_argument("--team", required=True, help="the team's name or id")
    demo.add_argument("--incidents", type=int, default=300, help="how many incidents (default 300)")

    dev = commands.add_parser(
        "dev-setup", parents=[database], help="migrate, ensure a default team and a dev key, print them"
    )
    dev.add_argument("--listen", help="the address to print (env INCIDENTS_LISTEN)")
    alerts_cli.add_commands(commands, database)
    return parser


def _settings(args: argparse.Namespace) -> Settings:
    base = Settings.from_environment()
    overrides = {
        "database_url": getattr(args, "database_url", None),
        "listen": getattr(args, "listen", None),
        "http_listen": getattr(args, "http_listen", None),
        "tls_cert": getattr(args, "tls_cert", None),
        "tls_key": getattr(args, "tls_key", None),
        "workers": getattr(args, "workers", None),
        "log_level": (getattr(args, "log_level", None) or "").upper() or None,
        "grace_seconds": getattr(args, "grace_seconds", None),
        "processes": getattr(args, "processes", None),
        "statement_timeout_seconds": getattr(args, "statement_timeout_seconds", None),
    }
    allow_networks = getattr(args, "webhook_allow_networks", None)
    if allow_networks is not None:
        overrides["notify"] = replace(base.notify, allow_networks=allow_networks)
    return Settings(**{**base.__dict__, **{k: v for k, v in overrides.items() if v is not None}})


def _engine(settings: Settings, statement_timeout_seconds: float | None = None) -> Engine:
    try:
        url = normalize_url(settings.database_url)
        if statement_timeout_seconds is not None:
            url = with_statement_timeout(url, statement_timeout_seconds)
        return create_database_engine(url, pool_size=settings.workers)
    except Exception as exc:
        raise CommandError(f"invalid database URL {settings.database_url!r}: {exc}") from exc


def _require_schema(engine: Engine) -> None:
    if not schema_is_current(engine):
        raise CommandError("the database schema is missing or old: run `incidents-service migrate` first")


def run(argv: Sequence[str]) -> int:
    args = _parser().parse_args(argv)
    try:
        settings = _settings(args)
    except ValueError as exc:
        raise CommandError(f"invalid setting: {exc}") from exc
    command = args.command

    if command == "serve":
        problems = settings.problems()
        if problems:
            raise CommandError("; ".join(problems))
        # gRPC's core writes its own log lines (not JSON) to stderr unless the operator asks for them.
        os.environ.setdefault("GRPC_VERBOSITY", "NONE")
        logs.configure(settings.log_level)
        # The server stops a call's statements itself; PostgreSQL's statement_timeout, a little later,
        # is the backstop should that ever fail.
        engine = _engine(settings, statement_timeout_seconds=settings.statement_timeout_seconds + 1)
        _require_schema(engine)
        from incidents_service.server import serve, serve_processes

        if settings.processes > 1:
            engine.dispose()
            return serve_processes(settings)
        return serve(settings, engine)

    engine = _engine(settings)

    if command == "migrate":
        migrate(engine)
        print("database schema is up to date")
        return 0

    if command == "dev-setup":
        return _dev_setup(engine, settings)

    _require_schema(engine)
    if command == "teams":
        if args.teams_command == "create":
            team = auth.create_team(engine, args.name)
            print(f"created team {team.name} ({team.id})")
        else:
            for team in auth.list_teams(engine):
                print(f"{team.name}\t{team.id}\t{team.created_at:%Y-%m-%d %H:%M:%S}Z")
        return 0

    if command == "api-keys":
        if args.keys_command == "create":
            try:
                permissions = auth.parse_permissions(args.permissions)
            except ValueError as exc:
                raise CommandError(str(exc)) from exc
            issued = auth.create_api_key(engine, args.team, args.principal, permissions)
            if args.quiet:
                print(issued.api_key)
            else:
                print(f"created API key {issued.key_id} for {args.principal} in team {args.team}")
                print("the secret is shown only now; store it safely:")
                print(issued.api_key)
        elif args.keys_command == "list":
            print("key_id\tteam\tprincipal\tpermissions\tcreated\tstatus")
            for key in auth.list_api_keys(engine, args.team):
                status = f"revoked {key.revoked_at:%Y-%m-%d %H:%M}Z" if key.revoked_at else "active"
                print(
                    f"{key.id}\t{key.team_name}\t{key.principal}\t{','.join(sorted(key.permissions))}\t"
                    f"{key.created_at:%Y-%m-%d %H:%M}Z\t{status}"
                )
        else:
            auth.revoke_api_key(engine, args.key_id)
            print(f"revoked API key {args.key_id}")
        return 0

    if command == "notification-rules":
        return notification_cli.run(args, engine)
    if command in alerts_cli.COMMANDS:
        return alerts_cli.run(args, engine)

    if command == "demo":
        from incidents_service.demo import load_demo

        summary = load_demo(engine, args.team, args.incidents)
        print(summary)
        return 0
    raise CommandError(f"unknown command {command}")


def _dev_setup(engine: Engine, settings: Settings) -> int:
    """For `make run`: a migrated database, a default team and a dev key made once and reused."""
    migrate(engine)
    if not any(team.name == DEV_TEAM for team in auth.list_teams(engine)):
        auth.create_team(engine, DEV_TEAM)
    api_key = DEV_KEY_FILE.read_text().strip() if DEV_KEY_FILE.exists() else ""
    if not api_key or not _key_is_active(engine, api_key):
        api_key = auth.create_api_key(engine, DEV_TEAM, DEV_PRINCIPAL, auth.ALL_PERMISSIONS).api_key
        DEV_KEY_FILE.touch(mode=0o600)
        DEV_KEY_FILE.write_text(api_key + "\n")
    os.chmod(DEV_KEY_FILE, stat.S_IRUSR | stat.S_IWUSR)
    print(f"incidents-service on {settings.listen} (database {settings.database_url}), team {DEV_TEAM!r}")
    print(f"dev API key (also in {DEV_KEY_FILE}, mode 0600):")
    print(api_key)
    print(f'try: {_grpcurl()} -plaintext -H "authorization: Bearer $(cat {DEV_KEY_FILE})" {settings.listen} list')
    if settings.http_listen:
        print(
            f'or over HTTP: curl -H "Authorization: Bearer $(cat {DEV_KEY_FILE})" -H "Content-Type: application/json"'
            f" -d '{{}}' http://{settings.http_listen}/com.coralogixapis.incidents.v1.IncidentsService/ListIncidents"
        )
    return 0


def _grpcurl() -> str:
    """grpcurl as a fresh terminal in this folder finds it: the one installed beside this interpreter
    (`make install` puts it in .venv/bin, which is not on PATH), by a path relative to here when it can be."""
    installed = Path(sys.executable).parent / "grpcurl"
    if not installed.exists():
        return "grpcurl"
    try:
        return str(installed.absolute().relative_to(Path.cwd()))
    except ValueError:
        return str(installed.absolute())


def _key_is_active(engine: Engine, api_key: str) -> bool:
    try:
        auth.Authenticator(engine, cache_seconds=0).authenticate(f"Bearer {api_key}")
        return True
    except DomainError:
        return False


def main(argv: Sequence[str] | None = None) -> int:
    try:
        return run(sys.argv[1:] if argv is None else argv)
    except CommandError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except StorageUnavailable:
        print(
            "error: cannot reach the database (check INCIDENTS_DATABASE_URL / --database-url)",
            file=sys.stderr,
        )
        return 1
    except NotFound as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    except DomainError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except OSError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    sys.exit(main())
