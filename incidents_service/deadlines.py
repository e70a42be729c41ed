"""The current call's deadline, so that storage can stop work nobody is waiting for any more.

The interceptor opens a CallDeadline per call from the gRPC context and ends it (`cancel`) when gRPC
reports the call over: deadline passed or client gone. A unit of work running for that call registers
its database connection (`on_cancel`); cancelling interrupts the statement running on it (PostgreSQL
cancel request, sqlite3 interrupt), and a write whose call has ended is rolled back instead of committed.
Outside a call (CLI, demo, tests of the domain) there is no current deadline and nothing changes.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar


class CallDeadline:
    def __init__(self, seconds_remaining: float | None) -> None:
        self._expires_at = None if seconds_remaining is None else time.monotonic() + seconds_remaining
        self._lock = threading.Lock()
        self._cancelled = False
        self._hooks: list[Callable[[], None]] = []

    def expired(self) -> bool:
        """True once the call has ended early or its deadline has passed."""
        if self._cancelled:
            return True
        return self._expires_at is not None and time.monotonic() >= self._expires_at

    def cancel(self) -> None:
        """The call is over: run every registered hook once (from gRPC's thread)."""
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
