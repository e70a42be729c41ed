"""`make smoke`: the README's grpcurl and curl calls against a real server on a scratch SQLite file.

Starts `incidents-service serve` (the console script of this virtualenv) on a free port, with a
migrated scratch database, a team and a key in `.incidents-dev-key` of a temporary working folder,
exactly as `make run` leaves them. Then runs every ```sh block of README.md between the
`<!-- smoke:begin` and `<!-- smoke:end -->` markers with bash, in order (the real grpcurl first on
PATH, the README's gRPC and HTTP addresses replaced by the server's), and checks each answer. Prints one line per
check and "N passed, M failed"; exits non-zero on any failure. The server is always stopped with
SIGTERM, and must exit 0.
"""

from __future__ import annotations

import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
README = ROOT / "README.md"
BIN = Path(sys.executable).parent
CLI = BIN / "incidents-service"
GRPCURL = BIN / "grpcurl"
README_ADDRESS = "127.0.0.1:50051"
README_HTTP_ADDRESS = "127.0.0.1:8080"
SERVICES = (
    "com.coralogixapis.incidents.v1.IncidentsService",
    "grpc.health.v1.Health",
    "grpc.reflection.v1alpha.ServerReflection",
    "incidents_service.v1.AlertIngestionService",
    "incidents_service.v1.IncidentManagementService",
    "incidents_service.v1.IncidentNotesService",
    "incidents_service.v1.IncidentInsightsService",
)
# Checks the README must contain (a smoke run that skipped one of them proves nothing).
REQUIRED = (
    "list",
    "health",
    "ReportAlertEvents",
    "ListIncidents",
    "GetIncident",
    "unauthenticated",
    "CreateNote",
    "GetIncidentTimeline",
    "GetIncidentStatistics",
    "http ListIncidents",
    "http GetIncident",
    "http AcknowledgeIncidents",
    "http error",
    "http unauthenticated",
    "pagerduty",
)
STARTUP_SECONDS = 30.0
STOP_SECONDS = 30.0


@dataclass
class Answer:
    command: str
    returncode: int
    stdout: str
    stderr: str
    id_after: str  # the shell variable ID after the block


class Report:
    def __init__(self) -> None:
        self.passed = 0
        self.failed = 0

    def check(self, name: str, ok: bool, detail: str = "") -> bool:
        if ok:
            self.passed += 1
            print(f"ok    {name}")
        else:
            self.failed += 1
            print(f"FAIL  {name}" + (f": {detail}" if detail else ""))
        sys.stdout.flush()
        return ok


def readme_blocks() -> list[str]:
    """The ```sh blocks of the README's smoke section, in order."""
    text = README.read_text(encoding="utf-8")
    match = re.search(r"<!-- smoke:begin.*?-->(.*?)<!-- smoke:end -->", text, re.DOTALL)
    if match is None:
        return []
    return [block.strip() for block in re.findall(r"^```sh\n(.*?)^```", match.group(1), re.DOTALL | re.M)]


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def run_cli(args: list[str], env: dict[str, str], cwd: Path) -> str:
    result = subprocess.run(
        [str(CLI), *args], env=env, cwd=cwd, capture_output=True, text=True, timeout=60, check=False
    )
    if result.returncode != 0:
        raise RuntimeError(f"incidents-service {' '.join(args)} failed: {result.stderr.strip()}")
    return result.stdout


def wait_serving(server: subprocess.Popen[bytes], address: str, env: dict[str, str]) -> bool:
    deadline = time.monotonic() + STARTUP_SECONDS
    while time.monotonic() < deadline:
        if server.poll() is not None:
            return False
        probe = subprocess.run(
            [str(GRPCURL), "-plaintext", "-max-time", "2", address, "grpc.health.v1.Health/Check"],
            env=env,
            capture_output=True,
            text=True,
            check=False,
        )
        if probe.returncode == 0 and '"SERVING"' in probe.stdout:
            return True
        time.sleep(0.2)
    return False


def run_blocks(blocks: list[str], address: str, http_address: str, env: dict[str, str], cwd: Path) -> list[Answer]:
    """Runs the blocks in one bash process (so `ID=...` carries over), capturing each one's output."""
    out = cwd / "answers"
    out.mkdir()
    script = []
    for index, block in enumerate(blocks):
        script += [
            "{",
            block.replace(README_ADDRESS, address).replace(README_HTTP_ADDRESS, http_address),
            f"}} > {out}/{index}.out 2> {out}/{index}.err",
            f"echo $? > {out}/{index}.rc",
            f"printf '%s' \"${{ID-}}\" > {out}/{index}.id",
        ]
    subprocess.run(["bash", "-c", "\n".join(script)], env=env, cwd=cwd, timeout=300, check=False)
    answers = []
    for index, block in enumerate(blocks):
        rc_file = out / f"{index}.rc"
        answers.append(
            Answer(
                command=block,
                returncode=int(rc_file.read_text().strip()) if rc_file.exists() else -1,
                stdout=(out / f"{index}.out").read_text() if rc_file.exists() else "",
                stderr=(out / f"{index}.err").read_text() if rc_file.exists() else "not run",
                id_after=(out / f"{index}.id").read_text() if rc_file.exists() else "",
            )
        )
    return answers


def check_answers(answers: list[Answer], report: Report) -> set[str]:
    """Checks each README call's answer; returns which of REQUIRED were seen."""
    seen: set[str] = set()
    incident_id = ""

    def expect(name: str, answer: Answer, ok: bool) -> None:
        detail = f"exit {answer.returncode}; stderr: {answer.stderr.strip()[:300]!r}"
        if answer.returncode == 0:
            detail += f"; stdout: {answer.stdout.strip()[:300]!r}"
        report.check(name, ok, detail)

    def succeeded_with(answer: Answer, *needles: str) -> bool:
        return answer.returncode == 0 and all(needle in answer.stdout for needle in needles)

    for answer in answers:
        command = " ".join(answer.command.split())
        if command.startswith("curl "):
            check_http(answer, command, incident_id, seen, expect)
            continue
        if "grpcurl" not in command:
            continue
        method = command.rsplit("/", 1)[-1] if "/" in command.rsplit(" ", 1)[-1] else ""
        if command.endswith(" list"):
            seen.add("list")
            expect("list shows the services (reflection)", answer, succeeded_with(answer, *SERVICES))
        elif " describe " in command:
            expect("describe shows the doc comments", answer, succeeded_with(answer, "// "))
        elif method == "Check":
            seen.add("health")
            expect("health check is SERVING", answer, succeeded_with(answer, '"SERVING"'))
        elif "authorization" not in command:
            seen.add("unauthenticated")
            expect(
                f"{method} without a key is Unauthenticated",
                answer,
                answer.returncode != 0 and "Code: Unauthenticated" in answer.stderr,
            )
        elif command.startswith("ID="):
            expect("ID holds the newest incident's id", answer, answer.id_after == incident_id != "")
        elif "NOTE=$(" in command:
            expect("ListNotes shows the note", answer, succeeded_with(answer, '"body": "Rolled back'))
        elif method == "ReportAlertEvents":
            seen.add("ReportAlertEvents")
            found = re.search(r'"incidentId": "([^"]+)"', answer.stdout)
            incident_id = found.group(1) if found else ""
            expect("ReportAlertEvents answers CREATED", answer, succeeded_with(answer, '"outcome": "CREATED"'))
        elif method == "ListIncidents":
            seen.add("ListIncidents")
            expect("ListIncidents shows the incident", answer, succeeded_with(answer, f'"id": "{incident_id}"'))
        elif method == "GetIncident":
            seen.add("GetIncident")
            expect(
                "GetIncident returns it with its events",
                answer,
                succeeded_with(answer, f'"id": "{incident_id}"', "INCIDENT_EVENT_TYPE_OPEN"),
            )
        else:
            same_incident = f'"id": "{incident_id}"'
            expected = {
                "AcknowledgeIncidents": (same_incident, '"status": "INCIDENT_STATUS_ACKNOWLEDGED"'),
                "AssignIncidents": (same_incident, '"userId": "alice@example.com"'),
                "SnoozeIncidents": (same_incident, '"isMuted": true'),
                "UpdateIncident": (same_incident, '"severity": "INCIDENT_SEVERITY_CRITICAL"'),
                "ResolveIncidents": (same_incident, '"status": "INCIDENT_STATUS_RESOLVED"'),
                "CloseIncidents": (same_incident, '"closedAt"'),
                "GetIncidentEvents": ("INCIDENT_EVENT_TYPE_OPEN", "INCIDENT_EVENT_TYPE_CLOSE"),
                "CreateNote": (f'"incidentId": "{incident_id}"', '"author": "smoke@ci"'),
                "GetNote": (f'"incidentId": "{incident_id}"', '"body": "Rolled back'),
                "UpdateNote": ('"body": "Root cause', '"updatedBy": "smoke@ci"'),
                "DeleteNote": ('"id": "',),
                "GetIncidentTimeline": (
                    "TIMELINE_ACTION_CLOSED",
                    "TIMELINE_ACTION_CREATED",
                    '"oldValue": "INCIDENT_SEVERITY_ERROR"',
                ),
                "GetIncidentStatistics": ('"mtta": {', '"count": "1"', '"value": "checkout"'),
            }.get(method, ())
            seen.add(method)
            expect(f"{method} succeeds", answer, succeeded_with(answer, *expected))
    return seen


def check_http(answer: Answer, command: str, incident_id: str, seen: set[str], expect: Any) -> None:
    """A README curl call: Connect JSON answers and errors, and the PagerDuty intake."""
    path = command.rsplit("/", 1)[-1]

    def has(*patterns: str) -> bool:
        return answer.returncode == 0 and all(re.search(pattern, answer.stdout) for pattern in patterns)

    same_incident = f'"id":\\s*"{re.escape(incident_id)}"'
    if command.rstrip().endswith("/v2/enqueue"):
        seen.add("pagerduty")
        expect("PagerDuty enqueue over HTTP is processed", answer, has('"message":\\s*"Event processed"'))
    elif "Authorization" not in command:
        seen.add("http unauthenticated")
        expect(f"HTTP {path} without a key is unauthenticated", answer, has('"code":\\s*"unauthenticated"'))
    elif path == "ListIncidents":
        seen.add("http ListIncidents")
        expect("ListIncidents over HTTP shows the incident", answer, has(same_incident))
    elif path == "GetIncident" and "no-such-incident" in command:
        seen.add("http error")
        expect("GetIncident over HTTP of an unknown id is not_found with details", answer,
               has('"code":\\s*"not_found"', "google.rpc.ResourceInfo"))  # fmt: skip
    elif path == "GetIncident":
        seen.add("http GetIncident")
        expect("GetIncident over HTTP GET returns it", answer, has(same_incident, "INCIDENT_EVENT_TYPE_OPEN"))
    elif path == "AcknowledgeIncidents":
        seen.add("http AcknowledgeIncidents")
        expect("AcknowledgeIncidents over HTTP", answer, has(same_incident, "INCIDENT_STATUS_ACKNOWLEDGED"))
    else:
        expect(f"HTTP {path} succeeds", answer, answer.returncode == 0 and answer.stdout.strip() != "")


def main() -> int:
    report = Report()
    work = Path(tempfile.mkdtemp(prefix="incidents-smoke-"))
    env = {key: value for key, value in os.environ.items() if not key.startswith("INCIDENTS_")}
    env["PATH"] = f"{BIN}{os.pathsep}{env.get('PATH', '')}"
    env["INCIDENTS_DATABASE_URL"] = f"sqlite:///{work / 'smoke.db'}"
    address = f"127.0.0.1:{free_port()}"
    http_address = f"127.0.0.1:{free_port()}"
    server: subprocess.Popen[bytes] | None = None
    log_path = work / "server.log"
    try:
        run_cli(["migrate"], env, work)
        run_cli(["teams", "create", "smoke"], env, work)
        api_key = run_cli(["api-keys", "create", "--team", "smoke", "--principal", "smoke@ci", "--quiet"], env, work)
        key_file = work / ".incidents-dev-key"
        key_file.write_text(api_key.strip() + "\n")
        key_file.chmod(0o600)
        report.check("scratch database migrated, team and key created", bool(api_key.strip()))

        with log_path.open("wb") as log:
            server = subprocess.Popen(
                [str(CLI), "serve", "--listen", address, "--http-listen", http_address],
                env=env,
                cwd=work,
                stdout=log,
                stderr=log,
            )
        if not report.check(f"server on {address} reports SERVING", wait_serving(server, address, env)):
            return 1

        blocks = readme_blocks()
        if report.check("README smoke section has commands", len(blocks) > 0, f"none found in {README}"):
            seen = check_answers(run_blocks(blocks, address, http_address, env, work), report)
            for name in REQUIRED:
                if name not in seen:
                    report.check(f"README shows the {name} call", False, "missing from the smoke section")
    except (RuntimeError, OSError, subprocess.SubprocessError) as exc:
        report.check("smoke run", False, str(exc))
    finally:
        if server is not None:
            report.check("server exits 0 on SIGTERM", stop(server), f"exit code {server.returncode}")
        if report.failed and log_path.exists():
            print(f"--- server log ({log_path}), last lines:")
            print("\n".join(log_path.read_text(errors="replace").splitlines()[-20:]))
        if not report.failed:
            shutil.rmtree(work, ignore_errors=True)
        print(f"{report.passed} passed, {report.failed} failed")
    return 1 if report.failed else 0


def stop(server: subprocess.Popen[bytes]) -> bool:
    if server.poll() is None:
        server.send_signal(signal.SIGTERM)
        try:
            server.wait(timeout=STOP_SECONDS)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()
            return False
    return server.returncode == 0


if __name__ == "__main__":
    sys.exit(main())
