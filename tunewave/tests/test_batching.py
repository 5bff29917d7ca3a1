"""core.batching: calls made together share one trip to the database thread, and each caller
gets its own answer, its own failure, and its own context."""

import asyncio
import contextvars
import threading

import pytest

from core.batching import LoopBatch, batch_each

caller = contextvars.ContextVar("caller", default=None)


class Recorder:
    def __init__(self, work=lambda item: item * 10):
        self.batches: list[list] = []
        self.work = work
        self.release = None  # a threading.Event: hold the first batch until set

    def __call__(self, calls):
        self.batches.append([call.item for call in calls])
        if self.release is not None and len(self.batches) == 1:
            self.release.wait(5)
        return batch_each(calls, self.work)


async def test_calls_made_together_go_in_one_trip_and_each_gets_its_answer():
    run = Recorder()
    batch = LoopBatch(run)
    assert await asyncio.gather(*(batch(i) for i in range(5))) == [0, 10, 20, 30, 40]
    assert run.batches == [[0, 1, 2, 3, 4]]


async def test_calls_made_while_a_batch_runs_make_the_next_one():
    run = Recorder()
    run.release = threading.Event()
    batch = LoopBatch(run)
    first = asyncio.ensure_future(batch(1))
    while not run.batches:  # the first batch is on the database thread
        await asyncio.sleep(0.01)
    later = [asyncio.ensure_future(batch(i)) for i in (2, 3)]
    run.release.set()
    assert [await first, *[await f for f in later]] == [10, 20, 30]
    assert run.batches == [[1], [2, 3]]


async def test_a_failing_item_fails_its_caller_only():
    def work(item):
        if item == 2:
            raise ValueError("two is refused")
        return item

    batch = LoopBatch(Recorder(work))
    answers = await asyncio.gather(*(batch(i) for i in (1, 2, 3)), return_exceptions=True)
    assert answers[0] == 1 and answers[2] == 3
    assert isinstance(answers[1], ValueError) and str(answers[1]) == "two is refused"


async def test_a_failing_batch_fails_its_callers_and_the_next_calls_still_work():
    calls = []

    def run(batch_calls):
        calls.append(len(batch_calls))
        if len(calls) == 1:
            raise RuntimeError("database down")
        return [call.item for call in batch_calls]

    batch = LoopBatch(run)
    answers = await asyncio.gather(batch(1), batch(2), return_exceptions=True)
    assert [type(a) for a in answers] == [RuntimeError, RuntimeError]
    assert await batch(3) == 3


async def test_a_caller_that_gave_up_is_skipped():
    run = Recorder()
    run.release = threading.Event()
    batch = LoopBatch(run)
    gone = asyncio.ensure_future(batch(1))
    stays = asyncio.ensure_future(batch(2))
    while not run.batches:
        await asyncio.sleep(0.01)
    gone.cancel()  # the socket closed mid-handshake
    run.release.set()
    assert await stays == 20
    with pytest.raises(asyncio.CancelledError):
        await gone


async def test_each_item_runs_in_its_callers_context():
    batch = LoopBatch(Recorder(lambda item: (item, caller.get())))

    async def as_caller(name):
        caller.set(name)
        return await batch(name)

    answers = await asyncio.gather(as_caller("ann"), as_caller("bob"))
    assert answers == [("ann", "ann"), ("bob", "bob")]
