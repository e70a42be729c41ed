"""`make proto-check`: buf lint passes, and buf breaking fails once a client-visible part of either package
changes against its committed baseline (protos/baseline/)."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.e2e

BUF = Path(sys.executable).parent / "buf"
ROOT = Path(__file__).resolve().parents[2]
WIRE_FILE = "com/coralogixapis/incidents/v1/incident.proto"
OWN_FILE = "incidents_service_api/v1/incidents_service_api.proto"


@pytest.fixture
def protos(tmp_path: Path) -> Path:
    copy = tmp_path / "protos"
    shutil.copytree(ROOT / "protos", copy)
    return copy


def buf(protos: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([str(BUF), *args], cwd=protos, capture_output=True, text=True, timeout=120, check=False)


def wire_breaking(protos: Path) -> subprocess.CompletedProcess[str]:
    return buf(protos, "breaking", "--against", "baseline/wire-v1.binpb", "--path", "com/coralogixapis")


def own_breaking(protos: Path) -> subprocess.CompletedProcess[str]:
    against = "baseline/incidents-service-v1.binpb"
    return buf(protos, "breaking", "--against", against, "--path", "incidents_service_api")


def test_the_protos_as_committed_pass_lint_and_breaking(protos):
    for result in (buf(protos, "lint"), wire_breaking(protos), own_breaking(protos)):
        assert result.returncode == 0, result.stdout + result.stderr


def test_changing_a_field_number_of_the_wire_package_fails_breaking(protos):
    path = protos / WIRE_FILE
    incident_id = r"(message Incident \{.*?StringValue id = )1;"
    text, changed = re.subn(incident_id, r"\g<1>99;", path.read_text(), count=1, flags=re.S)
    assert changed == 1
    path.write_text(text)
    result = wire_breaking(protos)
    assert result.returncode != 0
    assert 'Previously present field "1" with name "id" on message "Incident" was deleted' in result.stdout


def test_renaming_an_enum_value_of_the_own_package_fails_breaking(protos):
    path = protos / OWN_FILE
    text = path.read_text()
    assert "DUPLICATE = " in text
    path.write_text(text.replace("DUPLICATE = ", "REPEATED = ", 1))
    result = own_breaking(protos)
    assert result.returncode != 0
    assert "DUPLICATE" in result.stdout


def test_a_wire_name_against_bufs_style_still_fails_lint_in_the_own_package(protos):
    # The lint exceptions are per file: a new badly named enum value elsewhere is still caught.
    path = protos / "incidents_service_api/v1/incident_insights.proto"
    path.write_text(path.read_text() + "\nenum BadlyNamed {\n  BADLY_NAMED_UNSPECIFIED = 0;\n  OTHER = 1;\n}\n")
    result = buf(protos, "lint")
    assert result.returncode != 0
    assert 'Enum value name "OTHER" should be prefixed with "BADLY_NAMED_"' in result.stdout
