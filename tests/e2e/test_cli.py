"""The command line as a newcomer meets it: the exact output of each friction issue 14 lists."""

from __future__ import annotations

import re
import signal
import socket
import subprocess
import time
from collections.abc import Iterator
from importlib.metadata import version

import pytest

from tests.e2e.test_e2e_grpcurl import CLI, KEY_PATTERN, cli, cli_ok
from tests.support.ports import free_port

pytestmark = pytest.mark.e2e

PERMISSIONS = (
    "incidents:acknowledge, incidents:assign, incidents:close, incidents:delete, incidents:ingest, "
    "incidents:read, incidents:write, notifications:manage"
)


@pytest.fixture
def held_port() -> Iterator[int]:
    """A port another program listens on."""
    with socket.socket() as holder:
        holder.bind(("127.0.0.1", 0))
        holder.listen()
        yield int(holder.getsockname()[1])


@pytest.fixture(scope="module")
def migrated(tmp_path_factory: pytest.TempPathFactory) -> str:
    url = f"sqlite:///{tmp_path_factory.mktemp('cli') / 'incidents.db'}"
    cli_ok("migrate", database_url=url)
    cli_ok("teams", "create", "red", database_url=url)
    cli_ok("teams", "create", "blue", database_url=url)
    return url


def test_serve_on_a_grpc_port_already_held_is_one_error_line(migrated, held_port, tmp_path):
    result = cli(
        "serve", "--listen", f"127.0.0.1:{held_port}", "--http-listen", "", database_url=migrated, cwd=tmp_path
    )
    assert result.returncode == 1
    assert result.stderr == (
        f"error: cannot listen on 127.0.0.1:{held_port} (gRPC): the address is in use or not available\n"
    )


def test_serve_on_an_http_port_already_held_is_one_error_line(migrated, held_port, tmp_path):
    listen = f"127.0.0.1:{free_port()}"
    args = ("serve", "--listen", listen, "--http-listen", f"127.0.0.1:{held_port}")
    result = cli(*args, database_url=migrated, cwd=tmp_path)
    assert result.returncode == 1
    assert result.stderr == f"error: cannot listen on 127.0.0.1:{held_port} (HTTP): Address already in use\n"


def test_an_unknown_permission_lists_every_permission_in_full(migrated):
    args = ("api-keys", "create", "--team", "red", "--principal", "p", "--permissions", "incidents:admin")
    result = cli(*args, database_url=migrated)
    assert result.returncode == 2
    assert result.stderr == f"error: unknown permission incidents:admin; the permissions are {PERMISSIONS}\n"
    empty = cli(*args[:-1], ",", database_url=migrated)
    assert empty.stderr == f"error: name at least one permission: {PERMISSIONS}\n"


@pytest.mark.parametrize(
    "args",
    [
        ("api-keys", "create", "--team", "nosuch", "--principal", "p"),
        ("api-keys", "list", "--team", "nosuch"),
        ("demo", "--team", "nosuch"),
    ],
    ids=" ".join,
)
def test_an_unknown_team_is_named_as_the_name_or_id_it_was_given(migrated, args):
    result = cli(*args, database_url=migrated)
    assert result.returncode == 1
    assert result.stderr == "error: no team has the name or id 'nosuch' (`incidents-service teams list` lists them)\n"


def test_api_keys_take_the_team_by_name_or_id_and_list_filters_by_team(migrated):
    red_id = next(
        line.split("\t")[1]
        for line in cli_ok("teams", "list", database_url=migrated).splitlines()
        if line.startswith("red\t")
    )
    by_name = cli_ok("api-keys", "create", "--team", "red", "--principal", "r", "--quiet", database_url=migrated)
    by_id = cli_ok("api-keys", "create", "--team", red_id, "--principal", "r2", "--quiet", database_url=migrated)
    blue = cli_ok("api-keys", "create", "--team", "blue", "--principal", "b", "--quiet", database_url=migrated)
    assert all(KEY_PATTERN.fullmatch(key.strip()) for key in (by_name, by_id, blue))
    key_ids = {key.split("_")[1] for key in (by_name, by_id)}
    for team in ("red", red_id):
        lines = cli_ok("api-keys", "list", "--team", team, database_url=migrated).splitlines()
        assert lines[0] == "key_id\tteam\tprincipal\tpermissions\tcreated\tstatus"
        assert {line.split("\t")[0] for line in lines[1:]} == key_ids
        assert {line.split("\t")[1] for line in lines[1:]} == {"red"}
    everyone = cli_ok("api-keys", "list", database_url=migrated)
    assert blue.split("_")[1] in everyone


def test_version():
    result = cli("--version")
    assert (result.returncode, result.stdout) == (0, f"incidents-service {version('incidents-service')}\n")


def help_lines(*args: str) -> list[str]:
    """A command's help as argparse prints it 100 columns wide, white space folded."""
    result = cli(*args, "--help", COLUMNS="100")
    assert result.returncode == 0, result.stderr
    text = re.sub(r"\n\s{10,}", " ", result.stdout)  # a help text wrapped onto indented lines
    return [" ".join(line.split()) for line in text.splitlines()]


@pytest.mark.parametrize(
    ("args", "line"),
    [
        (("teams", "create"), "NAME the team's name, 1 to 256 characters, unique"),
        (("api-keys", "revoke"), "KEY_ID the key's id: the part after ik_ of its secret, as `api-keys list` shows"),
        (("demo",), "--team TEAM the team's name or id"),
        (("api-keys", "list"), "--team TEAM only this team's keys (its name or id)"),
        (("serve",), "--log-level LOG_LEVEL DEBUG, INFO, WARNING or ERROR (env INCIDENTS_LOG_LEVEL; default INFO)"),
        (
            ("serve",),
            "--grace-seconds GRACE_SECONDS on SIGTERM, how long calls in flight may take to finish (env "
            "INCIDENTS_GRACE_SECONDS; default 10)",
        ),
    ],
    ids=lambda value: " ".join(value) if isinstance(value, tuple) else "",
)
def test_help_texts(args, line):
    assert line in help_lines(*args)


def test_the_grpcurl_hint_of_dev_setup_works_in_a_fresh_terminal(tmp_path):
    listen = f"127.0.0.1:{free_port()}"
    setup = cli("dev-setup", "--listen", listen, cwd=tmp_path)
    assert setup.returncode == 0, setup.stderr
    [hint] = [line.removeprefix("try: ") for line in setup.stdout.splitlines() if line.startswith("try: ")]
    server = subprocess.Popen(
        [str(CLI), "serve"],
        cwd=tmp_path,
        env={"PATH": "/usr/bin:/bin", "INCIDENTS_LISTEN": listen, "INCIDENTS_HTTP_LISTEN": ""},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 30
        while True:
            # A fresh terminal: the system's PATH, not the virtualenv's, in the folder dev-setup ran in.
            tried = subprocess.run(
                ["bash", "-c", hint], cwd=tmp_path, env={"PATH": "/usr/bin:/bin"}, capture_output=True, text=True
            )
            if tried.returncode == 0 or time.monotonic() > deadline:
                break
            time.sleep(0.2)
        assert tried.returncode == 0, tried.stderr
        assert "com.coralogixapis.incidents.v1.IncidentsService" in tried.stdout.split()
    finally:
        server.send_signal(signal.SIGTERM)
        server.wait(timeout=30)
