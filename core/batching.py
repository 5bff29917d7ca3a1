"""Many sockets' reads in one trip to the database thread.

A server process has one database thread (Channels' `database_sync_to_async`), and every trip
to it costs the event loop a hand-over, the thread a connection health check and each read
its own query. A crowd of handshakes (a room opening, a restart sending every listener back)
makes the same small reads for different users at once. A `LoopBatch` gathers the calls made
while its last batch was on the database thread, or in the same turn of the loop, and answers
them all with one trip: `run` reads for all of them (`IN` queries) and writes back in one
cache pipeline. With nothing else in flight, a call goes at once, alone: batching adds no wait.

Each call's own work (`each`) runs in the caller's context (its request id, its server loop),
so what it logs or broadcasts is its own. A call whose item fails gets that exception; the
others are answered. A caller that gives up (a socket closed mid-handshake) is skipped.
"""

from __future__ import annotations

import asyncio
import contextvars
import logging
import weakref
from collections.abc import Callable, Sequence
from typing import Any, Generic, TypeVar

from channels.db import database_sync_to_async

logger = logging.getLogger(__name__)

Item = TypeVar("Item")
Result = TypeVar("Result")

MAX_BATCH = 64


class Call(Generic[Item]):
    """One caller's item, the context it was made in, and where its answer goes."""

    __slots__ = ("item", "context", "future")

    def __init__(self, item: Item, future: asyncio.Future) -> None:
        self.item = item
        self.context = contextvars.copy_context()
        self.future = future


class _Queue:
    __slots__ = ("calls", "running", "task")

    def __init__(self) -> None:
        self.calls: list[Call] = []
        self.running = False
        self.task: asyncio.Task | None = None  # held: the loop keeps only weak references


class LoopBatch(Generic[Item, Result]):
    """`await batch(item)` -> `run(items)`'s answer for `item`.

    `run(items) -> list[Result | Exception]` runs on the database thread with the batch's
    items (at most `max_size`, in call order) and answers each, in the same order; an answer
    that is an exception is raised to its caller. `run` gets the calls' contexts through
    `batch_each`, for work that must run as its caller's.
    """

    def __init__(self, run: Callable[[Sequence[Call[Item]]], list[Any]], *, max_size: int = MAX_BATCH) -> None:
        self.run = run
        self.max_size = max_size
        self._queues: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, _Queue] = weakref.WeakKeyDictionary()

    async def __call__(self, item: Item) -> Result:
        loop = asyncio.get_running_loop()
        queue = self._queues.get(loop)
        if queue is None:
            queue = self._queues[loop] = _Queue()
        call: Call[Item] = Call(item, loop.create_future())
        queue.calls.append(call)
        if not queue.running:
            queue.running = True
            # Started from this caller's context: the server loop it is bound to (core.realtime).
            # Next turn of the loop: the calls made in this one go together.
            loop.call_soon(self._start, loop, queue)
        return await call.future

    def _start(self, loop: asyncio.AbstractEventLoop, queue: _Queue) -> None:
        queue.task = loop.create_task(self._drain(queue))

    async def _drain(self, queue: _Queue) -> None:
        """Runs batches until no call waits; calls made meanwhile make the next batch."""
        try:
            while queue.calls:
                calls = [call for call in queue.calls[: self.max_size] if not call.future.done()]
                del queue.calls[: self.max_size]
                if not calls:
                    continue
                try:
                    answers = await database_sync_to_async(self.run)(calls)
                except BaseException as exc:  # noqa: BLE001 - every caller hears of it
                    answers = [exc] * len(calls)
                    if not isinstance(exc, Exception):
                        _answer(calls, answers)
                        raise
                _answer(calls, answers)
        finally:
            queue.running, queue.task = False, None
            if queue.calls:  # cancelled with callers waiting: they hear of it rather than hang
                _answer(queue.calls, [RuntimeError("the batch was cancelled")] * len(queue.calls))
                queue.calls.clear()


def _answer(calls: Sequence[Call], answers: list[Any]) -> None:
    for call, answer in zip(calls, answers, strict=True):
        if call.future.done():  # the caller gave up
            continue
        if isinstance(answer, BaseException):
            call.future.set_exception(answer)
        else:
            call.future.set_result(answer)


def batch_each(calls: Sequence[Call], work: Callable[..., Any], *columns: Sequence[Any]) -> list[Any]:
    """`work(item, *its values in columns)` for each call, in its caller's context. An
    exception is that call's answer (the others go on); a call whose column value is an
    exception already gets that one, without `work`."""
    answers: list[Any] = []
    for i, call in enumerate(calls):
        values = [column[i] for column in columns]
        failed = next((value for value in values if isinstance(value, Exception)), None)
        if failed is not None:
            answers.append(failed)
            continue
        try:
            answers.append(call.context.run(work, call.item, *values))
        except Exception as exc:  # noqa: BLE001 - the caller hears of it; the others go on
            answers.append(exc)
    return answers
