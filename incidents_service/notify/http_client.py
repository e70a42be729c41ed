"""The HTTP client of deliveries, with the server-side request forgery guard built into its connections.

A target's host is resolved when a connection is opened, each address is checked, and the connection
is made to the address that passed (SNI and Host stay the target's name): no second resolution can
send it elsewhere (DNS rebinding). Loopback, private, link-local, unspecified, multicast, reserved and
other addresses that are not globally routable are refused unless an allowed network holds them.
Redirects are not followed and no proxy from the environment is used.
"""

from __future__ import annotations

import asyncio
import ipaddress
import socket
import ssl
from collections.abc import Iterable, Sequence
from typing import Any

import httpcore
import httpx

from incidents_service.notify.settings import Network

# What is read of a receiver's answer: its status is what counts; the rest is drained, not kept.
MAX_ANSWER_BYTES = 64 * 1024
IpAddress = ipaddress.IPv4Address | ipaddress.IPv6Address


class TargetRefused(Exception):
    """The target may not be called: its address is not allowed. Never retried."""


class AddressGuard:
    def __init__(self, allowed: Sequence[Network]) -> None:
        self._allowed = list(allowed)

    def refusal(self, address: IpAddress) -> str | None:
        """Why an address may not be called, or None when it may."""
        if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
            address = address.ipv4_mapped
        if any(address.version == network.version and address in network for network in self._allowed):
            return None
        for kind, flagged in (
            ("loopback", address.is_loopback),
            ("unspecified", address.is_unspecified),
            ("link-local", address.is_link_local),
            ("multicast", address.is_multicast),
            ("reserved", address.is_reserved),
            ("private", address.is_private),
            ("not globally routable", not address.is_global),
        ):
            if flagged:
                return kind
        return None

    async def checked_address(self, host: str, port: int) -> str:
        """The address to connect to for `host`: the first it resolves to that is allowed."""
        try:
            addresses: list[IpAddress] = [ipaddress.ip_address(host)]
        except ValueError:
            try:
                found = await asyncio.get_running_loop().getaddrinfo(
                    host, port, type=socket.SOCK_STREAM, proto=socket.IPPROTO_TCP
                )
            except OSError as exc:
                raise httpcore.ConnectError(f"cannot resolve {host}: {exc}") from exc
            addresses = list(dict.fromkeys(ipaddress.ip_address(str(info[4][0]).split("%")[0]) for info in found))
        refusals = []
        for address in addresses:
            reason = self.refusal(address)
            if reason is None:
                return str(address)
            refusals.append(f"{address} ({reason})")
        raise TargetRefused(
            f"refused: {host} resolves to {', '.join(refusals[:4])}, not allowed as a target "
            "(server-side request forgery guard; INCIDENTS_WEBHOOK_ALLOW_NETWORKS allows networks)"
        )


class _GuardedBackend(httpcore.AsyncNetworkBackend):
    """Opens connections only to checked addresses."""

    def __init__(self, guard: AddressGuard) -> None:
        self._guard = guard
        self._inner = httpcore.AnyIOBackend()

    async def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: Iterable[Any] | None = None,
    ) -> httpcore.AsyncNetworkStream:
        address = await self._guard.checked_address(host, port)
        return await self._inner.connect_tcp(
            address, port, timeout=timeout, local_address=local_address, socket_options=socket_options
        )

    async def connect_unix_socket(
        self, path: str, timeout: float | None = None, socket_options: Iterable[Any] | None = None
    ) -> httpcore.AsyncNetworkStream:
        raise TargetRefused("refused: a Unix socket is never a target")

    async def sleep(self, seconds: float) -> None:
        await self._inner.sleep(seconds)


class _GuardedTransport(httpx.AsyncBaseTransport):
    """httpx's transport over an httpcore pool whose connections go through the guard. The answer's
    body is drained (at most MAX_ANSWER_BYTES read) and dropped: deliveries need the status only."""

    def __init__(self, guard: AddressGuard, ssl_context: ssl.SSLContext, max_connections: int) -> None:
        self._pool = httpcore.AsyncConnectionPool(
            ssl_context=ssl_context,
            max_connections=max_connections,
            max_keepalive_connections=max_connections,
            keepalive_expiry=30.0,
            network_backend=_GuardedBackend(guard),
        )

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        assert isinstance(request.stream, httpx.AsyncByteStream)
        core_request = httpcore.Request(
            method=request.method,
            url=httpcore.URL(
                scheme=request.url.raw_scheme,
                host=request.url.raw_host,
                port=request.url.port,
                target=request.url.raw_path,
            ),
            headers=request.headers.raw,
            content=request.stream,
            extensions=request.extensions,
        )
        answer = await self._pool.handle_async_request(core_request)
        try:
            read = 0
            async for chunk in answer.aiter_stream():
                read += len(chunk)
                if read > MAX_ANSWER_BYTES:
                    break
        finally:
            await answer.aclose()
        return httpx.Response(status_code=answer.status, headers=answer.headers, request=request)

    async def aclose(self) -> None:
        await self._pool.aclose()


def delivery_client(guard: AddressGuard, timeout_seconds: float, max_connections: int) -> httpx.AsyncClient:
    return httpx.AsyncClient(
        transport=_GuardedTransport(guard, httpx.create_ssl_context(), max_connections),
        timeout=httpx.Timeout(timeout_seconds),
        follow_redirects=False,
        trust_env=False,  # a proxy from the environment would connect to the target on our behalf, unchecked
    )


# Failures of one attempt that are the target's or the network's (retried), as opposed to bugs.
TRANSPORT_ERRORS: tuple[type[BaseException], ...] = (
    httpx.HTTPError,
    httpcore.TimeoutException,
    httpcore.NetworkError,
    httpcore.ProtocolError,
    httpcore.UnsupportedProtocol,
    OSError,
    ssl.SSLError,
)
