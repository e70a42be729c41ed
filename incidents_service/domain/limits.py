"""Limits of SPEC section 7 and the checks that enforce them (collecting every violation, not the first)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from incidents_service.domain.errors import FieldViolation

MAX_IDS_PER_CALL = 1000
MAX_NAME_CHARS = 1024
MAX_DESCRIPTION_BYTES = 64 * 1024
MAX_LABEL_KEY_CHARS = 256
MAX_LABEL_VALUE_CHARS = 4096
MAX_LABELS_PER_KIND = 256
MAX_ALERT_EVENTS_PER_CALL = 1000
MAX_KEY_CHARS = 1024  # correlation keys, cx_event_keys, ids, user ids
# Correlation keys and cx_event_keys are in unique b-tree indexes, whose entries PostgreSQL caps at
# about 2.7 KB: 1024 characters of 4-byte UTF-8 would not fit, so these keys are also capped in bytes.
MAX_INDEXED_KEY_BYTES = 2048
MIN_SNOOZE_MINUTES = 1
MAX_SNOOZE_MINUTES = 10080
DEFAULT_PAGE_SIZE = 50
MAX_PAGE_SIZE = 1000


def check_text(field: str, value: str, max_chars: int, out: list[FieldViolation]) -> None:
    if len(value) > max_chars:
        out.append(FieldViolation(field, f"longer than the limit of {max_chars} characters"))
    if "\x00" in value:
        out.append(FieldViolation(field, "contains a NUL character"))


def check_indexed_key(field: str, value: str, out: list[FieldViolation]) -> None:
    if len(value.encode("utf-8", "surrogatepass")) > MAX_INDEXED_KEY_BYTES:
        out.append(FieldViolation(field, f"longer than the limit of {MAX_INDEXED_KEY_BYTES} bytes (UTF-8)"))


def check_description(field: str, value: str, out: list[FieldViolation]) -> None:
    if len(value.encode("utf-8")) > MAX_DESCRIPTION_BYTES:
        out.append(FieldViolation(field, f"longer than the limit of {MAX_DESCRIPTION_BYTES} bytes (64 KiB)"))
    if "\x00" in value:
        out.append(FieldViolation(field, "contains a NUL character"))


def check_label_map(field: str, labels: Mapping[str, str], out: list[FieldViolation]) -> None:
    check_label_pairs(field, labels.items(), len(labels), out)


def check_label_pairs(field: str, pairs: Iterable[tuple[str, str]], count: int, out: list[FieldViolation]) -> None:
    if count > MAX_LABELS_PER_KIND:
        out.append(FieldViolation(field, f"more than the limit of {MAX_LABELS_PER_KIND} labels"))
    for key, value in pairs:
        if not key:
            out.append(FieldViolation(field, "a label key is empty"))
        check_text(f"{field}[{key[:64]!r}] key", key, MAX_LABEL_KEY_CHARS, out)
        check_text(f"{field}[{key[:64]!r}]", value, MAX_LABEL_VALUE_CHARS, out)


def check_id_count(field: str, count: int, out: list[FieldViolation]) -> None:
    if count == 0:
        out.append(FieldViolation(field, "at least one id is required"))
    elif count > MAX_IDS_PER_CALL:
        out.append(FieldViolation(field, f"more than the limit of {MAX_IDS_PER_CALL} ids per call"))


MAX_NOTE_BODY_BYTES = 64 * 1024


def check_note_body(field: str, body: str, out: list[FieldViolation]) -> None:
    """A note's body: 1 byte to 64 KiB of UTF-8, no NUL."""
    if not body:
        out.append(FieldViolation(field, "is required (at least 1 byte)"))
    elif len(body.encode("utf-8", "surrogatepass")) > MAX_NOTE_BODY_BYTES:
        out.append(FieldViolation(field, f"longer than the limit of {MAX_NOTE_BODY_BYTES} bytes (64 KiB)"))
    if "\x00" in body:
        out.append(FieldViolation(field, "contains a NUL character"))
