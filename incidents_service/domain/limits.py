"""Limits of SPEC sections 7 and 11 and the checks that enforce them (collecting every violation, not the first).

Every repeated field of every request has a cap, checked before anything runs: a request's shape
(and so the size of the statement it becomes) is bounded by these numbers, not by the caller.
"""

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
# Flapping settings of a team (SPEC 16): changes that make an alert flap, and within how long.
MIN_FLAPPING_THRESHOLD = 2
MAX_FLAPPING_THRESHOLD = 100
MIN_FLAPPING_WINDOW_MINUTES = 1
MAX_FLAPPING_WINDOW_MINUTES = 1440
# Maintenance windows (SPEC 16): running or upcoming per team, matchers per window, and how long one runs.
MAX_MAINTENANCE_WINDOWS = 100
MAX_MATCHERS_PER_WINDOW = 32
MAX_MAINTENANCE_DAYS = 31
# Correlation rules (SPEC 16): per team, label keys per rule, and their window.
MAX_CORRELATION_RULES = 20
MAX_CORRELATION_LABEL_KEYS = 8
MIN_CORRELATION_WINDOW_MINUTES = 1
MAX_CORRELATION_WINDOW_MINUTES = 1440
MIN_SNOOZE_MINUTES = 1
MAX_SNOOZE_MINUTES = 10080
DEFAULT_PAGE_SIZE = 50
MAX_PAGE_SIZE = 1000

# ---- query shapes (SPEC 11) ----
# Values of one repeated filter field (assignee, status, state, severity, application_name, ...).
MAX_VALUES_PER_FILTER_FIELD = 100
# Keys of one label filter (contextual_labels / display_labels of a filter), and values per key.
MAX_LABEL_KEYS_PER_FILTER = 32
MAX_VALUES_PER_LABEL_KEY = 100
MAX_META_LABELS_PER_FILTER = 100
MAX_ORDER_BYS = 10
MAX_GROUP_BYS = 3
MAX_SEARCH_QUERY_CHARS = 4096
# UpdateIncident's update_mask: each of the six updatable fields at most once is all a caller needs.
MAX_UPDATE_MASK_PATHS = 6

# ---- response size (SPEC 11) ----
# gRPC clients refuse messages over 4 MiB by default. A page stops adding items before the whole
# response (items, pagination and its page token) passes this, which leaves 64 KiB of the 4 MiB
# for the gRPC frame and anything a proxy adds; a BatchGetIncident answer past it is refused.
CLIENT_MAX_MESSAGE_BYTES = 4 * 1024 * 1024
RESPONSE_MARGIN_BYTES = 64 * 1024
MAX_RESPONSE_BYTES = CLIENT_MAX_MESSAGE_BYTES - RESPONSE_MARGIN_BYTES
# GetIncidentEvents answers at most this many events (and at most MAX_RESPONSE_BYTES of them): it
# reads one more to know, so its memory is bounded whatever an incident's history holds.
MAX_EVENTS_PER_INCIDENT_RESPONSE = 10_000


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


def check_count(field: str, count: int, limit: int, what: str, out: list[FieldViolation]) -> bool:
    """False (and a violation naming the cap) when a repeated field holds more than `limit` items."""
    if count > limit:
        out.append(FieldViolation(field, f"more than the limit of {limit} {what}"))
        return False
    return True


MAX_NOTE_BODY_BYTES = 64 * 1024


def check_note_body(field: str, body: str, out: list[FieldViolation]) -> None:
    """A note's body: 1 byte to 64 KiB of UTF-8, no NUL."""
    if not body:
        out.append(FieldViolation(field, "is required (at least 1 byte)"))
    elif len(body.encode("utf-8", "surrogatepass")) > MAX_NOTE_BODY_BYTES:
        out.append(FieldViolation(field, f"longer than the limit of {MAX_NOTE_BODY_BYTES} bytes (64 KiB)"))
    if "\x00" in body:
        out.append(FieldViolation(field, "contains a NUL character"))
