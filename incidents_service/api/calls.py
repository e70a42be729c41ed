"""What every authenticated call goes through, whatever its transport (gRPC, Connect, the HTTP alert intake).

authenticate -> authorize -> admission to the storage threads (a per-key share, load shedding) -> the
call's synchronous work on a storage thread, under its CallDeadline (the client's deadline and the
server's statement limit), with the caller set and writes re-checking the key -> a DomainError for
anything that went wrong. The transports only translate: headers in, a status or an answer out.
Keeping this in one place is what makes gRPC and HTTP answer the same call the same way.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable
from concurrent.futures import Executor
from contextvars import copy_context
from typing import TypeVar

from incidents_service import metrics
from incidents_service.auth import Authenticator, Caller, authorize, reset_current_caller, set_current_caller
from incidents_service.deadlines import CallDeadline, deadline_of_call
from incidents_service.domain.errors import DomainError, StorageUnavailable
from incidents_service.logs import get_logger
from incidents_service.storage.python_turns import TURNS
from incidents_service.storage.unit_of_work import writes_authorized_by

T = TypeVar("T")

call_log = get_logger("incidents_service.calls")
error_log = get_logger("incidents_service.errors")


class InternalFailure(DomainError):
    """A bug, not anything the client sent: answered INTERNAL with no detail, logged with its traceback."""

    def __init__(self) -> None:
        super().__init__("internal error")


class CallSlots:
    """Admission to the storage threads: a per-key share, and a bounded queue beyond which calls are shed.

    A key may run at most `per_key` calls at once; its further calls wait on the loop, holding no
    thread. At most `queue_limit` admitted calls, holding at most `queue_bytes` of request bodies, wait
    in all; past either the server sheds load with UNAVAILABLE, which clients retry with backoff. The
    byte budget is what bounds a process's memory under many large calls (README "Serving model").
    """

    def __init__(self, threads: int, queue_limit: int, queue_bytes: int) -> None:
        self.per_key = max(1, threads // 4)
        self._queue_limit = queue_limit
        self._queue_bytes = queue_bytes
        self._waiting = 0
        self._waiting_bytes = 0
        self._by_key: dict[str, asyncio.Semaphore] = {}
        self._users: dict[str, int] = {}

    async def run(self, key_id: str, size: int, work: Callable[[], Awaitable[T]]) -> T:
        if self._waiting >= self._queue_limit or self._waiting_bytes + size > self._queue_bytes:
            raise StorageUnavailable("the server is overloaded; retry with backoff")
        self._waiting += 1
        self._waiting_bytes += size
        self._users[key_id] = self._users.get(key_id, 0) + 1
        semaphore = self._by_key.setdefault(key_id, asyncio.Semaphore(self.per_key))
        try:
            async with semaphore:
                return await work()
        finally:
            self._waiting -= 1
            self._waiting_bytes -= size
            self._users[key_id] -= 1
            if self._users[key_id] == 0:  # forget idle keys: the table stays as small as the callers
                del self._users[key_id]
                del self._by_key[key_id]


class Calls:
    """The transport-agnostic core: one per server process, shared by every transport."""

    def __init__(
        self,
        authenticator: Authenticator,
        storage_threads: Executor,
        threads: int,
        statement_limit_seconds: float,
        queue_limit: int,
        queue_bytes: int,
    ) -> None:
        self._authenticator = authenticator
        self._storage_threads = storage_threads
        self._statement_limit_seconds = statement_limit_seconds
        self._slots = CallSlots(threads, queue_limit, queue_bytes)

    async def authenticate(self, method: str, authorization: str | None) -> Caller:
        """The caller of `method` from its `authorization` value, allowed to call it; else a DomainError.

        Runs before the request body is read: a call without a valid key costs nothing more."""
        try:
            caller = await self._authenticator.authenticate_async(authorization)
        except StorageUnavailable as error:
            error_log.warning(
                "cannot_authenticate", method=method, error=str(error), exc_info=error.__cause__ is not None
            )
            raise
        except DomainError:
            raise
        except Exception as exc:
            error_log.exception("authentication_failed", method=method)
            raise StorageUnavailable("cannot check the API key right now; retry") from exc
        authorize(caller, method)
        return caller

    def start(self, method: str, caller: Caller, seconds_remaining: float | None) -> StorageCall:
        """A call about to run: the transport ends it (`end`) when its client goes away."""
        return StorageCall(self, method, caller, CallDeadline(seconds_remaining, self._statement_limit_seconds))

    def internal(self, name: str) -> StorageCall:
        """The server's own storage work (a metrics scrape): admitted, load-shed and time-limited like a
        call, with a share of the threads of its own, and not counted as a call in flight."""
        deadline = CallDeadline(None, self._statement_limit_seconds)
        return StorageCall(self, name, _SERVER, deadline, counted=False)


# Who the server's own storage work runs as: no team, no permission.
_SERVER = Caller(team_id="", team_name="", principal="incidents-service", key_id="(server)", permissions=frozenset())


class StorageCall:
    """One authenticated call's work on the storage threads."""

    def __init__(self, calls: Calls, method: str, caller: Caller, deadline: CallDeadline, counted: bool = True) -> None:
        self._calls = calls
        self._counted = counted
        self.method = method
        self.caller = caller
        self.deadline = deadline
        self._loop = asyncio.get_running_loop()

    def end(self) -> None:
        """The call is over (client gone, deadline passed, time limit): stop its statement now."""
        if self.deadline.has_hooks():
            # Interrupting a statement sends a cancel request: never on the loop's thread.
            self._loop.run_in_executor(None, self.deadline.cancel)
        else:
            self.deadline.cancel()

    async def run(self, size: int, work: Callable[[], T]) -> T:
        """Run `work` (synchronous: decode, call the servicer or operation, encode) on a storage thread.

        Answers its result, or raises a DomainError (InternalFailure for a bug, logged here);
        `size` is the request's bytes, counted against the queue's byte budget."""
        caller = self.caller
        deadline = self.deadline
        timer: asyncio.TimerHandle | None = None

        def on_thread() -> T:
            token = set_current_caller(caller)
            try:
                # Storage threads take turns running Python (python_turns.py): the loop then shares
                # the GIL with one of them at most, whichever transport the call came by.
                with TURNS.turn(), deadline_of_call(deadline), writes_authorized_by(caller.key_id):
                    return work()
            finally:
                reset_current_caller(token)

        async def when_admitted() -> T:
            nonlocal timer
            deadline.start_server_limit()
            timer = self._loop.call_later(deadline.seconds_left() or 0.0, self.end)
            # In a copy of the call's context, as asyncio.to_thread does: its trace span, if any, is
            # the parent of the statements' spans.
            return await self._loop.run_in_executor(self._calls._storage_threads, copy_context().run, on_thread)

        in_flight = metrics.CALLS_IN_FLIGHT if self._counted else None
        if in_flight is not None:
            in_flight.inc()
        try:
            return await self._calls._slots.run(caller.key_id, size, when_admitted)
        except asyncio.CancelledError:
            self.end()  # deadline passed or client gone: stop the statement now
            raise
        except DomainError:
            raise
        except Exception as exc:
            error_log.exception("call_failed", method=self.method)
            raise InternalFailure() from exc
        finally:
            if in_flight is not None:
                in_flight.dec()
            if timer is not None:
                timer.cancel()


def record_call(method: str, code: str, started: float, caller: Caller | None, transport: str) -> None:
    """A call has been answered, by any transport ("grpc", "connect", "http"): counted by method and code,
    its duration observed, and one log line: method, code, duration, team, principal and key id (never
    the key)."""
    seconds = time.perf_counter() - started
    metrics.count_call(method, code, transport, seconds)
    if not call_log.isEnabledFor(logging.INFO):
        return
    call_log.info(
        "rpc",
        method=method,
        code=code,
        duration_ms=round(seconds * 1000, 2),
        team=caller.team_name if caller else None,
        principal=caller.principal if caller else None,
        key_id=caller.key_id if caller else None,
        transport=transport,
    )
