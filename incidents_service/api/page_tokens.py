"""Opaque, tamper-evident page tokens (AIP-158).

A token carries the keyset position after the last item of a page and a fingerprint of the request
it belongs to (team, filter, order), signed with HMAC-SHA256 under a secret every replica shares
(stored in the database). A token that was altered or comes from another request is refused.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from incidents_service.domain.errors import InvalidArgument

_SIGNATURE_BYTES = 16


@dataclass(frozen=True)
class ResumePoint:
    """Where the next page starts: keyset position, the walk's as-of time and its total_size."""

    after: tuple[Any, ...]
    as_of: datetime
    total: int


_FIELD = "pagination.page_token"


def request_fingerprint(team_id: str, *parts: bytes) -> str:
    digest = hashlib.sha256(team_id.encode("utf-8"))
    for part in parts:
        digest.update(len(part).to_bytes(8, "big"))
        digest.update(part)
    return digest.hexdigest()[:32]


class PageTokenCodec:
    def __init__(self, secret: bytes) -> None:
        self._secret = secret

    def encode(self, fingerprint: str, resume: ResumePoint) -> str:
        body = json.dumps(
            {
                "f": fingerprint,
                "p": [_encode_value(v) for v in resume.after],
                "a": resume.as_of.isoformat(),
                "t": resume.total,
            },
            separators=(",", ":"),
        )
        raw = body.encode("utf-8")
        signature = hmac.new(self._secret, raw, hashlib.sha256).digest()[:_SIGNATURE_BYTES]
        return base64.urlsafe_b64encode(signature + raw).decode("ascii").rstrip("=")

    def decode(self, token: str, fingerprint: str) -> ResumePoint:
        try:
            data = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4))
        except (binascii.Error, ValueError) as exc:
            raise InvalidArgument.single(_FIELD, "not a page token issued by this service") from exc
        signature, raw = data[:_SIGNATURE_BYTES], data[_SIGNATURE_BYTES:]
        expected = hmac.new(self._secret, raw, hashlib.sha256).digest()[:_SIGNATURE_BYTES]
        if len(signature) != _SIGNATURE_BYTES or not hmac.compare_digest(signature, expected):
            raise InvalidArgument.single(_FIELD, "the page token was altered or not issued by this service")
        body = json.loads(raw)
        if body.get("f") != fingerprint:
            raise InvalidArgument.single(
                _FIELD, "the page token belongs to a different request (filter or order changed)"
            )
        return ResumePoint(
            after=tuple(_decode_value(v) for v in body["p"]),
            as_of=datetime.fromisoformat(body["a"]),
            total=int(body["t"]),
        )


def _encode_value(value: Any) -> Any:
    if isinstance(value, datetime):
        return {"t": value.isoformat()}
    return value


def _decode_value(value: Any) -> Any:
    if isinstance(value, dict) and "t" in value:
        return datetime.fromisoformat(value["t"])
    return value
