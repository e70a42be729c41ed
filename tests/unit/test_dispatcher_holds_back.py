"""The notification dispatcher puts calls first (notify/dispatcher.py): while calls are being served it
waits between pieces of its work, and it resumes as soon as they stop, not when its wait would end."""

from __future__ import annotations

import asyncio
import threading
import time
from concurrent.futures import ThreadPoolExecutor

from incidents_service.notify.dispatcher import Dispatcher
from incidents_service.notify.settings import NotifySettings
from incidents_service.storage.database import create_database_engine
from incidents_service.storage.python_turns import TURNS


def test_it_waits_while_a_call_runs_and_resumes_as_soon_as_calls_stop():
    engine = create_database_engine("sqlite://")
    with ThreadPoolExecutor(2) as threads:
        dispatcher = Dispatcher(engine, threads, NotifySettings())

        async def scenario() -> float:
            dispatcher._resume_at = time.monotonic() + 30  # as after a long piece of work under load
            served, release = threading.Event(), threading.Event()

            def call() -> None:
                with TURNS.turn():
                    served.set()
                    release.wait()

            running = threading.Thread(target=call)
            running.start()
            served.wait()
            holding = asyncio.create_task(dispatcher._hold_back())
            await asyncio.sleep(0.3)
            assert not holding.done(), "it went on while a call was being served"
            release.set()
            running.join()
            stopped = time.monotonic()
            await asyncio.wait_for(holding, 2)
            return time.monotonic() - stopped

        assert asyncio.run(scenario()) < 0.5  # one look (50 ms), not the 30 s it had planned
    engine.dispose()


def test_calls_are_counted_and_background_turns_are_not():
    begun, running = TURNS.calls()
    with TURNS.turn(background=True):
        assert TURNS.calls() == (begun, running)
    with TURNS.turn():
        assert TURNS.calls() == (begun + 1, running + 1)
    assert TURNS.calls() == (begun + 1, running)


def test_its_share_while_calls_are_served_is_validated():
    assert NotifySettings(busy_share=0.1).problems() == []
    assert NotifySettings(busy_share=1).problems() == []
    assert NotifySettings(busy_share=0).problems()
    assert NotifySettings(busy_share=1.5).problems()
    assert NotifySettings.from_environment({"INCIDENTS_NOTIFY_BUSY_SHARE": "0.05"}).busy_share == 0.05
