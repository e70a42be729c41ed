"""CallDeadline: how the end of a call reaches the unit of work running for it (deadlines.py)."""

from __future__ import annotations

import time

import pytest

from incidents_service.deadlines import CallDeadline, current_deadline, deadline_of_call
from incidents_service.domain.errors import CallEnded
from incidents_service.storage.database import create_database_engine
from incidents_service.storage.unit_of_work import UnitOfWork


def test_cancel_runs_the_hooks_registered_at_that_moment_once():
    deadline = CallDeadline(60)
    ran: list[str] = []
    with deadline.on_cancel(lambda: ran.append("inside")):
        assert not deadline.expired()
        deadline.cancel()
        deadline.cancel()
    assert ran == ["inside"]
    assert deadline.expired()


def test_a_hook_never_runs_after_its_block_has_left():
    deadline = CallDeadline(60)
    ran: list[str] = []
    with deadline.on_cancel(lambda: ran.append("late")):
        pass
    deadline.cancel()
    assert ran == []


def test_the_deadline_expires_by_time_alone():
    deadline = CallDeadline(0.01)
    time.sleep(0.02)
    assert deadline.expired()
    assert not CallDeadline(None).expired()


def test_the_current_deadline_is_set_only_inside_the_call():
    deadline = CallDeadline(60)
    assert current_deadline() is None
    with deadline_of_call(deadline):
        assert current_deadline() is deadline
    assert current_deadline() is None


def test_a_unit_of_work_for_an_ended_call_does_not_start_nor_commit(tmp_path):
    engine = create_database_engine(f"sqlite:///{tmp_path / 'deadline.db'}")
    deadline = CallDeadline(60)
    with deadline_of_call(deadline):
        with pytest.raises(CallEnded), UnitOfWork(engine, "team", write=True) as uow:
            deadline.cancel()  # the call ends while the work runs
            uow.commit()
        with pytest.raises(CallEnded), UnitOfWork(engine, "team", write=False):
            pass  # never reached: the call is already over
