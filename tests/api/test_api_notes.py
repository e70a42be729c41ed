"""IncidentNotesService over gRPC, on SQLite and PostgreSQL: every rpc, limits, isolation, deletes,
concurrent edits and permissions."""

from __future__ import annotations

import threading
import uuid
from typing import Any

import grpc
import pytest
from com.coralogixapis.incidents.v1 import incidents_service_pb2 as svc
from google.protobuf.wrappers_pb2 import UInt32Value
from google.rpc import error_details_pb2
from incidents_service_api.v1 import incident_insights_pb2 as ins
from incidents_service_api.v1 import incident_insights_pb2_grpc as ins_grpc
from incidents_service_api.v1 import incidents_service_api_pb2 as api
from sqlalchemy import func, select

from incidents_service import auth
from incidents_service.storage.tables import incident_notes
from tests.builders import alert, report, status_details, svs, violated_fields
from tests.conftest import Client


class Notes:
    """The notes stub with the client's key on every call."""

    def __init__(self, client: Client) -> None:
        self._stub = ins_grpc.IncidentNotesServiceStub(client.channel)
        self._metadata = client.metadata

    def __getattr__(self, name: str) -> Any:
        method = getattr(self._stub, name)
        return lambda request: method(request, metadata=self._metadata, timeout=30)


def _incident(client: Client) -> str:
    return client.management.CreateIncident(api.CreateIncidentRequest(name="disk full")).incident.id.value


def _error(call: Any, code: grpc.StatusCode) -> grpc.RpcError:
    with pytest.raises(grpc.RpcError) as info:
        call()
    assert info.value.code() == code, f"{info.value.code()}: {info.value.details()}"
    return info.value


def _all_notes(notes: Notes, incident_id: str, page_size: int = 1000) -> list[ins.Note]:
    found: list[ins.Note] = []
    token = ""
    while True:
        request = ins.ListNotesRequest(incident_id=incident_id)
        request.pagination.page_size.CopyFrom(UInt32Value(value=page_size))
        if token:
            request.pagination.page_token.value = token
        page = notes.ListNotes(request)
        found.extend(page.notes)
        token = page.pagination.next_page_token.value
        if not token:
            return found


def test_a_note_is_created_read_listed_revised_and_deleted(teams):
    alice = teams.team("alice@example.com")
    bob = teams.key(alice.team_name, "bob@example.com")
    incident_id = _incident(alice)

    created = Notes(alice).CreateNote(ins.CreateNoteRequest(incident_id=incident_id, body="Rolled back v2.3")).note

    assert uuid.UUID(created.id)
    assert (created.incident_id, created.body, created.author, created.updated_by) == (
        incident_id,
        "Rolled back v2.3",
        "alice@example.com",
        "alice@example.com",
    )
    assert created.updated_at == created.created_at
    assert Notes(bob).GetNote(ins.GetNoteRequest(id=created.id)).note == created

    update = ins.UpdateNoteRequest(id=created.id, body="Rolled back v2.3; error rate normal")
    revised = Notes(bob).UpdateNote(update).note
    assert revised.body == "Rolled back v2.3; error rate normal"
    assert (revised.author, revised.updated_by) == ("alice@example.com", "bob@example.com")
    assert revised.created_at == created.created_at
    assert revised.updated_at.ToDatetime() >= created.updated_at.ToDatetime()
    assert _all_notes(Notes(alice), incident_id) == [revised]

    assert Notes(alice).DeleteNote(ins.DeleteNoteRequest(id=created.id)).id == created.id
    _error(lambda: Notes(alice).GetNote(ins.GetNoteRequest(id=created.id)), grpc.StatusCode.NOT_FOUND)
    _error(lambda: Notes(alice).DeleteNote(ins.DeleteNoteRequest(id=created.id)), grpc.StatusCode.NOT_FOUND)
    assert _all_notes(Notes(alice), incident_id) == []


def test_notes_list_oldest_first_in_pages_with_a_total(client):
    notes, incident_id = Notes(client), _incident(client)
    written = [
        notes.CreateNote(ins.CreateNoteRequest(incident_id=incident_id, body=f"note {i}")).note for i in range(7)
    ]
    other_incident = _incident(client)
    notes.CreateNote(ins.CreateNoteRequest(incident_id=other_incident, body="elsewhere"))

    first = notes.ListNotes(ins.ListNotesRequest(incident_id=incident_id, pagination={"page_size": {"value": 3}}))

    assert [n.body for n in first.notes] == ["note 0", "note 1", "note 2"]
    assert first.pagination.total_size.value == 7
    assert _all_notes(notes, incident_id, page_size=3) == written
    assert _all_notes(notes, incident_id, page_size=7) == written
    assert [n.body for n in _all_notes(notes, other_incident)] == ["elsewhere"]


def test_a_page_token_of_another_incident_or_altered_is_refused(client):
    notes, incident_id, other = Notes(client), _incident(client), _incident(client)
    for i in range(3):
        notes.CreateNote(ins.CreateNoteRequest(incident_id=incident_id, body=f"n{i}"))
    token = notes.ListNotes(
        ins.ListNotesRequest(incident_id=incident_id, pagination={"page_size": {"value": 1}})
    ).pagination.next_page_token.value
    assert token

    for incident, page_token in ((other, token), (incident_id, token[:-3] + ("AAA" if token[-3:] != "AAA" else "BBB"))):
        request = ins.ListNotesRequest(incident_id=incident, pagination={"page_token": {"value": page_token}})
        error = _error(lambda request=request: notes.ListNotes(request), grpc.StatusCode.INVALID_ARGUMENT)
        assert violated_fields(error) == ["pagination.page_token"]


@pytest.mark.parametrize(
    ("body", "accepted"),
    [
        ("", False),
        ("x", True),
        ("x" * 65536, True),
        ("x" * 65537, False),
        ("é" * 32768, True),  # 2 bytes each: exactly 64 KiB
        ("é" * 32768 + "x", False),
        ("nul \x00 inside", False),
    ],
    ids=["empty", "one-byte", "64KiB", "64KiB+1", "64KiB-2-byte-chars", "over-in-bytes", "nul"],
)
def test_note_bodies_are_1_byte_to_64_KiB(client, body, accepted):
    notes, incident_id = Notes(client), _incident(client)
    existing = notes.CreateNote(ins.CreateNoteRequest(incident_id=incident_id, body="first")).note

    if accepted:
        assert notes.CreateNote(ins.CreateNoteRequest(incident_id=incident_id, body=body)).note.body == body
        assert notes.UpdateNote(ins.UpdateNoteRequest(id=existing.id, body=body)).note.body == body
        return
    for call in (
        lambda: notes.CreateNote(ins.CreateNoteRequest(incident_id=incident_id, body=body)),
        lambda: notes.UpdateNote(ins.UpdateNoteRequest(id=existing.id, body=body)),
    ):
        error = _error(call, grpc.StatusCode.INVALID_ARGUMENT)
        assert violated_fields(error) == ["body"]
    assert _all_notes(notes, incident_id) == [existing]


def test_ids_are_required(client):
    notes = Notes(client)
    calls = {
        "incident_id": [
            lambda: notes.CreateNote(ins.CreateNoteRequest(body="text")),
            lambda: notes.ListNotes(ins.ListNotesRequest()),
        ],
        "id": [
            lambda: notes.GetNote(ins.GetNoteRequest()),
            lambda: notes.UpdateNote(ins.UpdateNoteRequest(body="text")),
            lambda: notes.DeleteNote(ins.DeleteNoteRequest()),
        ],
    }
    for field, field_calls in calls.items():
        for call in field_calls:
            assert violated_fields(_error(call, grpc.StatusCode.INVALID_ARGUMENT)) == [field]


def _answer(error: grpc.RpcError, name: str) -> tuple[Any, ...]:
    """What a client receives of a failed call, with the id it named blanked out."""
    resources = [
        info.resource_name.replace(name, "<id>") for info in status_details(error, error_details_pb2.ResourceInfo)
    ]
    return error.code(), (error.details() or "").replace(name, "<id>"), resources


def test_another_teams_notes_and_incidents_answer_exactly_like_missing_ones(teams):
    mine, theirs = teams.team("alice@example.com"), teams.team("mallory@example.com")
    their_incident = _incident(theirs)
    their_note = Notes(theirs).CreateNote(ins.CreateNoteRequest(incident_id=their_incident, body="secret")).note
    missing_incident, missing_note = str(uuid.uuid4()), str(uuid.uuid4())
    notes = Notes(mine)

    by_note = {
        "GetNote": lambda note_id: notes.GetNote(ins.GetNoteRequest(id=note_id)),
        "UpdateNote": lambda note_id: notes.UpdateNote(ins.UpdateNoteRequest(id=note_id, body="mine now")),
        "DeleteNote": lambda note_id: notes.DeleteNote(ins.DeleteNoteRequest(id=note_id)),
    }
    by_incident = {
        "CreateNote": lambda incident_id: notes.CreateNote(ins.CreateNoteRequest(incident_id=incident_id, body="x")),
        "ListNotes": lambda incident_id: notes.ListNotes(ins.ListNotesRequest(incident_id=incident_id)),
    }
    cases = [(by_note, their_note.id, missing_note), (by_incident, their_incident, missing_incident)]
    for calls, theirs_id, missing_id in cases:
        for name, call in calls.items():
            via_theirs = _error(lambda call=call, named=theirs_id: call(named), grpc.StatusCode.NOT_FOUND)
            via_missing = _error(lambda call=call, named=missing_id: call(named), grpc.StatusCode.NOT_FOUND)
            assert _answer(via_theirs, theirs_id) == _answer(via_missing, missing_id), name
            assert theirs_id in (via_theirs.details() or "")

    assert _all_notes(Notes(theirs), their_incident) == [their_note]


def test_deleting_an_incident_deletes_its_notes(client, server):
    notes, incident_id, kept_incident = Notes(client), _incident(client), _incident(client)
    doomed = [notes.CreateNote(ins.CreateNoteRequest(incident_id=incident_id, body=f"n{i}")).note for i in range(3)]
    kept = notes.CreateNote(ins.CreateNoteRequest(incident_id=kept_incident, body="stays")).note

    client.incidents.DeleteIncidents(svc.DeleteIncidentsRequest(incident_ids=svs([incident_id])))

    for note in doomed:
        _error(lambda note=note: notes.GetNote(ins.GetNoteRequest(id=note.id)), grpc.StatusCode.NOT_FOUND)
    _error(lambda: notes.ListNotes(ins.ListNotesRequest(incident_id=incident_id)), grpc.StatusCode.NOT_FOUND)
    with server.engine.connect() as connection:
        left = connection.execute(select(func.count()).where(incident_notes.c.incident_id == incident_id)).scalar_one()
    assert left == 0
    assert notes.GetNote(ins.GetNoteRequest(id=kept.id)).note == kept


def test_notes_stay_on_closed_incidents_and_alert_incidents(client):
    notes = Notes(client)
    [result] = client.ingestion.ReportAlertEvents(report(alert(f"k-{uuid.uuid4().hex}", "cx-1"))).results
    client.incidents.CloseIncidents(svc.CloseIncidentsRequest(incident_ids=svs([result.incident_id])))

    note = notes.CreateNote(ins.CreateNoteRequest(incident_id=result.incident_id, body="postmortem link")).note

    assert _all_notes(notes, result.incident_id) == [note]


def test_concurrent_edits_lose_nothing_and_the_last_write_wins(teams):
    writers = [teams.team("writer-0@example.com")]
    writers += [teams.key(writers[0].team_name, f"writer-{i}@example.com") for i in range(1, 6)]
    incident_id = _incident(writers[0])
    shared = Notes(writers[0]).CreateNote(ins.CreateNoteRequest(incident_id=incident_id, body="start")).note
    answers: list[ins.Note] = []
    created: list[ins.Note] = []
    lock = threading.Lock()

    def write(index: int) -> None:
        notes = Notes(writers[index])
        for round_ in range(6):
            revised = notes.UpdateNote(ins.UpdateNoteRequest(id=shared.id, body=f"w{index} r{round_}")).note
            note = notes.CreateNote(ins.CreateNoteRequest(incident_id=incident_id, body=f"new w{index} r{round_}")).note
            with lock:
                answers.append(revised)
                created.append(note)

    threads = [threading.Thread(target=write, args=(index,)) for index in range(len(writers))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert len(answers) == len(created) == 36
    final = Notes(writers[0]).GetNote(ins.GetNoteRequest(id=shared.id)).note
    last = max(answers, key=lambda note: (note.updated_at.ToDatetime(), note.body == final.body))
    assert (final.body, final.updated_by, final.updated_at) == (last.body, last.updated_by, last.updated_at)
    assert final.updated_by == f"writer-{final.body.split()[0][1:]}@example.com"
    assert all(answer.author == "writer-0@example.com" for answer in answers)
    listed = _all_notes(Notes(writers[0]), incident_id, page_size=10)
    assert sorted(n.body for n in listed) == sorted([final.body, *(n.body for n in created)])
    assert {n.id for n in listed} == {shared.id} | {n.id for n in created}


def test_a_read_key_reads_notes_but_cannot_write_them(teams):
    owner = teams.team("owner@example.com")
    reader = teams.key(owner.team_name, "reader@example.com", frozenset({auth.READ}))
    incident_id = _incident(owner)
    note = Notes(owner).CreateNote(ins.CreateNoteRequest(incident_id=incident_id, body="kept")).note
    notes = Notes(reader)

    assert notes.GetNote(ins.GetNoteRequest(id=note.id)).note == note
    assert _all_notes(notes, incident_id) == [note]
    for call in (
        lambda: notes.CreateNote(ins.CreateNoteRequest(incident_id=incident_id, body="no")),
        lambda: notes.UpdateNote(ins.UpdateNoteRequest(id=note.id, body="no")),
        lambda: notes.DeleteNote(ins.DeleteNoteRequest(id=note.id)),
    ):
        error = _error(call, grpc.StatusCode.PERMISSION_DENIED)
        assert "incidents:write" in (error.details() or "")
    assert _all_notes(Notes(owner), incident_id) == [note]
