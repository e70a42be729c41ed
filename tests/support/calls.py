"""Failing calls and page tokens, as every API test file checks them."""

from __future__ import annotations

import base64
from collections.abc import Callable
from typing import Any

import grpc
import pytest


def rpc_error(
    call: Callable[..., Any], *args: Any, code: grpc.StatusCode = grpc.StatusCode.INVALID_ARGUMENT
) -> grpc.RpcError:
    """The error `call(*args)` fails with, which must carry `code`."""
    with pytest.raises(grpc.RpcError) as info:
        call(*args)
    assert info.value.code() == code, info.value.details()
    return info.value


def next_page_token(response: Any) -> str:
    """A page answer's next_page_token, which must be there."""
    token: str = response.pagination.next_page_token.value
    assert token, "the page has no next_page_token"
    return token


def tampered(token: str) -> str:
    """The page token with one bit of its signed part flipped."""
    raw = bytearray(base64.urlsafe_b64decode(token + "=" * (-len(token) % 4)))
    raw[-3] ^= 0x01
    return base64.urlsafe_b64encode(bytes(raw)).decode("ascii").rstrip("=")
