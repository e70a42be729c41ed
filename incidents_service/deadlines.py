"""The current call's time budget, so that storage stops work nobody is waiting for, or that ran too long.

The interceptor opens a CallDeadline per call: the client's deadline, capped by the server's limit for
one call (SPEC 11: every statement runs under the call's remaining deadline and at most a configurable
maximum). It ends the deadline (`cancel`) when gRPC reports the call over (client gone, deadline passed)
and when the server's limit runs out. A unit of work running for the call registers its database
connection (`on_cancel`); cancelling interrupts the statement running on it (PostgreSQL cancel request,
sqlite3 interrupt), and a write whose call has ended is rolled back instead of committed.
Outside a call (CLI, demo, tests of the domain) there is no current deadline and nothing changes.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar


class CallDeadline:
    def __init__(self, seconds_remaining: float | None, server_limit_seconds: float | None = None) -> None:
        now = time.monotonic()
        self.server_limit_seconds = server_limit_seconds
        self._client_expires_at = None if seconds_remaining is None else now + seconds_remaining
        self._limit_expires_at: float | None = None
        if server_limit_seconds is not None:
            self.start_server_limit()
        self._lock = threading.Lock()
        self._cancelled = False
        self._hooks: list[Callable[[], None]] = []

    def start_server_limit(self) -> None:
        """The server's limit counts from now: from when the call's work starts, not while it queued."""
        if self.server_limit_seconds is not None:
            self._limit_expires_at = time.monotonic() + self.server_limit_seconds

    def seconds_left(self) -> float | None:
        """Time until the earlier of the client's deadline and the server's limit (None: no end)."""
        ends = [end for end in (self._client_expires_at, self._limit_expires_at) if end is not None]
        return None if not ends else max(0.0, min(ends) - time.monotonic())

    def expired(self) -> bool:
        """True once the call has ended early, its deadline has passed or the server's limit ran out."""
        if self._cancelled:
            return True
        left = self.seconds_left()
        return left is not None and left <= 0

    def client_deadline_passed(self) -> bool:
        return self._client_expires_at is not None and time.monotonic() >= self._client_expires_at

    def stopped_by_server_limit(self) -> bool:
        """The call ended because it ran past the server's limit while its client still waited."""
        if self._limit_expires_at is None or self.client_deadline_passed():
            return False
        return time.monotonic() >= self._limit_expires_at

    def has_hooks(self) -> bool:
        """Whether a statement is running for the call now (cancelling would interrupt it)."""
        return bool(self._hooks)

    def cancel(self) -> None:
        """The call is over: run every registered hook once (from any thread)."""
        # Hooks run under the lock, so a unit of work leaving `on_cancel` waits for a hook in progress.
        with self._lock:
            if self._cancelled:
                return
            self._cancelled = True
            for hook in self._hooks:
                hook()
            self._hooks = []

    @contextmanager
    def on_cancel(self, hook: Callable[[], None]) -> Iterator[None]:
        """Run `hook` if the call ends while the block runs. The hook never runs after the block has
        left, so it cannot touch a connection already handed to another call."""
        with self._lock:
            if not self._cancelled:
                self._hooks.append(hook)
        try:
            yield
        finally:
            with self._lock:
                if hook in self._hooks:
                    self._hooks.remove(hook)


_current: ContextVar[CallDeadline | None] = ContextVar("call_deadline", default=None)


def current_deadline() -> CallDeadline | None:
    return _current.get()


@contextmanager
def deadline_of_call(deadline: CallDeadline) -> Iterator[CallDeadline]:
    token = _current.set(deadline)
    try:
        yield deadline
    finally:
        _current.reset(token)
