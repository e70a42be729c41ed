"""Storage threads take turns running Python; a thread gives up its turn whenever it waits for the database.

CPython runs one thread's Python at a time (the GIL) and hands it over, every switch interval, to one
of the threads that want it. With N storage threads building large pages, the event-loop thread, which
receives every call and answers Health/Check, waits behind up to N hand-offs for each step it takes
(measured: one busy thread puts Health/Check p99 at ~15-30 ms, four at ~170-270 ms). Taking turns
explicitly keeps the threads that want the GIL at two, the loop and the thread whose turn it is, while
the database still sees every thread's statements at once: a thread gives its turn up for every
statement, commit and wait for a pooled connection (the cursor classes below and the unit of work).
It costs no throughput: the GIL already lets only one of them run Python.

Threads that never took a turn (the CLI, migrations, key look-ups, the health probe) are not affected.

Background work (the notification dispatcher) takes its turns as `background`: they are not calls.
`calls()` tells it whether calls are being served, so that it can hold back (notify/dispatcher.py).
"""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import psycopg


class PythonTurns:
    def __init__(self, at_once: int = 1) -> None:
        self._turns = threading.Semaphore(at_once)
        self._local = threading.local()
        self._calls_begun = 0  # calls' turns taken so far
        self._calls_running = 0  # calls inside a turn now (running Python, or waiting for it or the database)
        self._count_lock = threading.Lock()

    @contextmanager
    def turn(self, background: bool = False) -> Iterator[None]:
        """Run the block (one call's storage work, or background work) in turns with the other storage threads."""
        if not background:
            with self._count_lock:
                self._calls_begun += 1
                self._calls_running += 1
        try:
            self._turns.acquire()
            self._local.holding = True
            try:
                yield
            finally:
                if self._local.holding:
                    self._turns.release()
                self._local.holding = False
        finally:
            if not background:
                with self._count_lock:
                    self._calls_running -= 1

    def calls(self) -> tuple[int, int]:
        """(calls begun so far, calls running now): whether calls ran between two looks, and now."""
        return self._calls_begun, self._calls_running

    @contextmanager
    def waiting(self) -> Iterator[None]:
        """Give the turn up while the block waits for something outside Python (the database)."""
        holding = getattr(self._local, "holding", False)
        if holding:
            self._local.holding = False
            self._turns.release()
        try:
            yield
        finally:
            if holding:
                self._turns.acquire()
                self._local.holding = True


TURNS = PythonTurns()


class TurnTakingCursor(psycopg.Cursor[Any]):
    """psycopg's cursor, giving the turn up while a statement runs (results arrive with it)."""

    def execute(self, *args: Any, **kwargs: Any) -> Any:
        with TURNS.waiting():
            return super().execute(*args, **kwargs)

    def executemany(self, *args: Any, **kwargs: Any) -> None:
        with TURNS.waiting():
            super().executemany(*args, **kwargs)


class TurnTakingConnection(psycopg.Connection[Any]):
    """psycopg's connection with turn-taking cursors, giving the turn up while it commits or rolls back."""

    def commit(self) -> None:
        with TURNS.waiting():
            super().commit()

    def rollback(self) -> None:
        with TURNS.waiting():
            super().rollback()


class TurnTakingSQLiteCursor(sqlite3.Cursor):
    def execute(self, *args: Any, **kwargs: Any) -> Any:
        with TURNS.waiting():
            return super().execute(*args, **kwargs)

    def executemany(self, *args: Any, **kwargs: Any) -> Any:
        with TURNS.waiting():
            return super().executemany(*args, **kwargs)


class TurnTakingSQLiteConnection(sqlite3.Connection):
    def cursor(self, factory: Any = TurnTakingSQLiteCursor) -> Any:
        return super().cursor(factory)

    def execute(self, *args: Any, **kwargs: Any) -> Any:
        return self.cursor().execute(*args, **kwargs)

    def commit(self) -> None:
        with TURNS.waiting():
            super().commit()
