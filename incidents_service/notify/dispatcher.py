"""The dispatcher: an asyncio task in every serving process that relays the outbox to the targets.

Loop: fan the changes written by calls out into one notification per rule, claim due notifications
under a lease (storage/notifications.py: atomic, and on PostgreSQL
skipping rows another replica holds), deliver each over HTTP (notify/http_client.py), record each
attempt and what follows (delivered, a retry time with exponential backoff, or failed), repeat.

It never blocks the event loop: database work (claims, records, building the bodies) runs on the
server's storage threads, taking turns like calls do; HTTP is asynchronous; DNS is resolved off the loop.
Calls come first: when calls were being served while a piece of its database work ran, the dispatcher
waits before its next claim (a fan-out and a claim: its new work) so that its work takes at most
`busy_share` of the time (10% by default) while calls go on. An alert storm is ingested at nearly full speed and its
notifications follow as soon as it leaves room; with no call being served the dispatcher runs flat
out, and it never stops.
A process killed mid-delivery leaves its claims to expire; then any dispatcher delivers them again
(the receiver sees the same Idempotency-Key). Stopping (SIGTERM) claims nothing more, lets deliveries in
flight finish (5 s at most each) and records them.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import socket
import time
import uuid
from collections.abc import Callable
from concurrent.futures import Executor
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TypeVar

from sqlalchemy import Engine

from incidents_service import metrics
from incidents_service.domain.errors import StorageUnavailable
from incidents_service.domain.notifications import AttemptOutcome, DeliveryAttempt, TargetKind, clipped_error
from incidents_service.logs import get_logger
from incidents_service.notify.http_client import (
    TRANSPORT_ERRORS,
    AddressGuard,
    DeliveryClient,
    TargetRefused,
)
from incidents_service.notify.payloads import body_of, headers_of
from incidents_service.notify.settings import ATTEMPT_TIMEOUT_SECONDS, NotifySettings
from incidents_service.storage.notifications import AttemptResult, ClaimedNotification
from incidents_service.storage.python_turns import TURNS
from incidents_service.storage.unit_of_work import UnitOfWork

T = TypeVar("T")
# Changes fanned out per transaction: with at most 100 rules per team, at most 50,000 notifications.
FAN_OUT_CHANGES = 500
# While holding back for calls, how often it looks whether calls are still being served.
_CALLS_LOOK_SECONDS = 0.05
log = get_logger("incidents_service.notify")


def _calls_served_since(begun: int) -> bool:
    """Whether a call is being served now, or began since TURNS.calls() said `begun`."""
    begun_now, running = TURNS.calls()
    return running > 0 or begun_now != begun


def utcnow() -> datetime:
    return datetime.now(UTC)


@dataclass(frozen=True)
class _Delivery:
    """A claimed notification with its request body, built on a storage thread."""

    notification: ClaimedNotification
    body: bytes


class Dispatcher:
    def __init__(
        self,
        engine: Engine,
        storage_threads: Executor,
        settings: NotifySettings,
        clock: Callable[[], datetime] = utcnow,
    ) -> None:
        self._engine = engine
        self._storage_threads = storage_threads
        self._settings = settings
        self._policy = settings.retry_policy()
        self._guard = AddressGuard(settings.networks())
        self._clock = clock
        # Who holds a claim: unique per process start, so a restarted process never mistakes old claims for its own.
        self.holder = f"{socket.gethostname()[:30]}:{os.getpid()}:{uuid.uuid4().hex[:8]}"
        self._task: asyncio.Task[None] | None = None
        self._stopping = asyncio.Event()
        self._wake = asyncio.Event()
        self._in_flight: set[asyncio.Task[None]] = set()
        self._unrecorded: list[AttemptResult] = []
        self._recording: asyncio.Task[None] | None = None
        self._client: DeliveryClient | None = None
        self._resume_at = 0.0  # time.monotonic() before which it holds back for calls

    def start(self) -> None:
        """Start relaying on the running loop."""
        self._stopping = asyncio.Event()
        self._wake = asyncio.Event()
        self._client = DeliveryClient(self._guard, ATTEMPT_TIMEOUT_SECONDS, self._settings.concurrency)
        self._task = asyncio.create_task(self._run(), name="notification-dispatcher")

    async def stop(self) -> None:
        if self._task is None:
            return
        self._stopping.set()
        self._wake.set()
        try:
            await self._task
        finally:
            self._task = None
            if self._client is not None:
                await self._client.close()

    # ---- the loop ------------------------------------------------------------------------------

    async def _run(self) -> None:
        while not self._stopping.is_set():
            # Cleared before claiming: an attempt recorded meanwhile wakes the wait below at once.
            self._wake.clear()
            free = self._settings.concurrency - len(self._in_flight)
            claimed: list[_Delivery] = []
            try:
                if free > 0:
                    claimed = await self._on_storage_thread(lambda limit=free: self._claim(limit), new_work=True)  # type: ignore[misc]
            except StorageUnavailable as unavailable:
                log.warning("notifications_unclaimable", error=str(unavailable))
            except Exception:
                log.exception("notifications_unclaimable")
            for delivery in claimed:
                task = asyncio.create_task(self._deliver(delivery))
                self._in_flight.add(task)
                task.add_done_callback(self._in_flight.discard)
            # Wait for a recorded attempt (a free slot, and maybe the next notification of its incident
            # due now) or the next poll.
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), self._settings.poll_seconds)
        if self._in_flight:
            await asyncio.gather(*self._in_flight, return_exceptions=True)
        if self._recording is not None:
            await self._recording

    async def _on_storage_thread(self, work: Callable[[], T], new_work: bool = False) -> T:
        """Run `work` on a storage thread, in turns with the calls. `new_work` (a claim) is held back
        while calls are being served; recording what was delivered never is: it frees the slots, and a claim must
        be recorded before its lease ends."""
        if new_work:
            await self._hold_back()

        def in_turn() -> tuple[T, float, bool]:
            begun, _ = TURNS.calls()
            started = time.perf_counter()
            with TURNS.turn(background=True):
                result = work()
            return result, time.perf_counter() - started, _calls_served_since(begun)

        result, seconds, calls_served = await asyncio.get_running_loop().run_in_executor(self._storage_threads, in_turn)
        share = self._settings.busy_share
        if calls_served and share < 1:
            # This much more time passes before its next piece: its work is then `share` of the time.
            self._resume_at = max(self._resume_at, time.monotonic() + seconds * (1 - share) / share)
        return result

    async def _hold_back(self) -> None:
        """Wait until `_resume_at`, or less: as soon as no call has been served for a moment."""
        started = time.monotonic()
        while not self._stopping.is_set():
            left = self._resume_at - time.monotonic()
            if left <= 0:
                break
            begun, _ = TURNS.calls()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._stopping.wait(), min(left, _CALLS_LOOK_SECONDS))
            if not _calls_served_since(begun):
                self._resume_at = 0.0
                break
        if (held := time.monotonic() - started) > 0.001:
            metrics.NOTIFY_HELD_BACK_SECONDS.inc(held)

    def _claim(self, limit: int) -> list[_Delivery]:
        now = self._clock()
        # Cheap reads first, so an idle dispatcher never takes SQLite's write lock.
        with UnitOfWork(self._engine, team_id="", write=False) as uow:
            to_fan_out = uow.deliveries.any_to_fan_out()
            due = to_fan_out or uow.deliveries.any_due(now)
        if to_fan_out:
            with UnitOfWork(self._engine, team_id="", write=True) as uow:
                uow.deliveries.fan_out(now, FAN_OUT_CHANGES)
                uow.commit()
        if not due:
            return []
        with UnitOfWork(self._engine, team_id="", write=True) as uow:
            claimed = uow.deliveries.claim(self.holder, now, self._settings.lease_seconds, limit)
            uow.commit()
        return [_Delivery(n, body_of(n, n.target.kind) if n.target is not None else b"") for n in claimed]

    # ---- one attempt ---------------------------------------------------------------------------

    async def _deliver(self, delivery: _Delivery) -> None:
        notification = delivery.notification
        attempted_at = self._clock()
        started = time.perf_counter()
        status: int | None = None
        try:
            outcome, status, error = await self._attempt(delivery)
        except Exception as exc:  # a bug must not stop the dispatcher: the attempt fails and is retried
            log.exception("notification_attempt_crashed", notification=notification.id)
            outcome, error = AttemptOutcome.FAILED, f"internal error: {type(exc).__name__}"
        duration_ms = int((time.perf_counter() - started) * 1000)
        next_attempt_at = None
        if outcome is AttemptOutcome.FAILED:
            next_attempt_at = self._policy.next_attempt(
                notification.attempts + 1, notification.created_at, self._clock()
            )
            if next_attempt_at is None:
                error = f"{error}; gave up after {notification.attempts + 1} attempts"
        attempt = DeliveryAttempt(attempted_at, outcome, status, clipped_error(error), duration_ms)
        log.info(
            "notification_attempt",
            notification=notification.id,
            incident=notification.incident.id,
            host=notification.target.host if notification.target else None,
            outcome=outcome.value,
            http_status=status,
            error=attempt.error or None,
            duration_ms=duration_ms,
        )
        self._unrecorded.append(AttemptResult(notification.seq, attempt, next_attempt_at))
        if self._recording is None or self._recording.done():
            self._recording = asyncio.create_task(self._record())

    async def _attempt(self, delivery: _Delivery) -> tuple[AttemptOutcome, int | None, str]:
        notification, target = delivery.notification, delivery.notification.target
        if target is None:
            return AttemptOutcome.REFUSED, None, "the rule was deleted before the notification was delivered"
        assert self._client is not None
        secret = target.secret if target.kind is TargetKind.WEBHOOK else None
        headers = headers_of(notification.id, delivery.body, secret, int(time.time()))
        try:
            async with asyncio.timeout(ATTEMPT_TIMEOUT_SECONDS):
                status = await self._client.post(target.url, delivery.body, headers)
        except TargetRefused as refused:
            return AttemptOutcome.REFUSED, None, str(refused)
        except TimeoutError:
            return AttemptOutcome.FAILED, None, f"no answer within {ATTEMPT_TIMEOUT_SECONDS:g} s"
        except TRANSPORT_ERRORS as exc:
            return AttemptOutcome.FAILED, None, f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__
        if 200 <= status < 300:
            return AttemptOutcome.DELIVERED, status, ""
        if 300 <= status < 400:
            return AttemptOutcome.FAILED, status, f"HTTP {status}: redirects are not followed"
        return AttemptOutcome.FAILED, status, f"HTTP {status}"

    async def _record(self) -> None:
        """Record the finished attempts, batched: one transaction for all that finished meanwhile."""
        while self._unrecorded:
            results, self._unrecorded = self._unrecorded, []
            try:
                await self._on_storage_thread(lambda results=results: self._store(results))  # type: ignore[misc]
            except Exception:
                # Their claims expire and they are delivered again: at least once, never lost.
                log.exception("notification_attempts_unrecorded", attempts=len(results))
                if not self._stopping.is_set():
                    self._unrecorded = results + self._unrecorded
                    await asyncio.sleep(self._settings.poll_seconds)
                    continue
            self._wake.set()

    def _store(self, results: list[AttemptResult]) -> None:
        with UnitOfWork(self._engine, team_id="", write=True) as uow:
            uow.deliveries.record(results, self._clock())
            uow.commit()
