"""Memo: the one in-process cache of the recommendations app."""

import threading
import time

import pytest

from recommendations.memo import Memo


class Clock:
    def __init__(self):
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def counting(values):
    calls = []

    def build():
        calls.append(1)
        return values[len(calls) - 1]

    return build, calls


def test_it_reuses_a_value_until_it_expires():
    clock = Clock()
    memo: Memo[str] = Memo(seconds=5, clock=clock)
    build, calls = counting(["first", "second"])

    assert memo.get(build) == "first"
    clock.now += 4.9
    assert memo.get(build) == "first"
    clock.now += 0.2
    assert memo.get(build) == "second"
    assert len(calls) == 2


def test_seconds_are_read_on_each_use():
    clock = Clock()
    seconds = [60.0]
    memo: Memo[str] = Memo(seconds=lambda: seconds[0], clock=clock)
    build, _ = counting(["first", "second"])
    memo.get(build)
    clock.now += 1
    seconds[0] = 0  # e.g. a test turning the reuse off

    assert memo.get(build) == "second"


def test_a_new_version_builds_again_and_clear_forgets():
    memo: Memo[str] = Memo()
    build, calls = counting(["build 1", "build 2", "again"])

    assert memo.get(build, 1) == "build 1"
    assert memo.get(build, 1) == "build 1"  # no expiry without seconds
    assert memo.get(build, 2) == "build 2"  # the model changed
    memo.clear()
    assert memo.peek() is None
    assert memo.get(build, 2) == "again"
    assert len(calls) == 3


def test_a_value_put_by_its_writer_is_served_for_its_version():
    memo: Memo[str] = Memo()
    memo.put("written", "v1")
    build, calls = counting(["read"])

    assert memo.get(build, "v1") == "written"
    assert not calls
    assert memo.get(build, "v2") == "read"


def test_concurrent_callers_wait_for_a_single_build():
    memo: Memo[int] = Memo(seconds=60)
    calls = []
    started = threading.Event()

    def slow_build():
        calls.append(1)
        started.set()
        time.sleep(0.2)
        return 42

    results = []
    threads = [threading.Thread(target=lambda: results.append(memo.get(slow_build))) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=5)

    assert results == [42] * 8
    assert len(calls) == 1


def test_a_build_begun_before_clear_is_returned_but_not_kept():
    memo: Memo[str] = Memo()
    values = iter(["old model", "new model"])

    def build():
        value = next(values)
        if value == "old model":
            memo.clear()  # the model changed while this build was reading
        return value

    assert memo.get(build) == "old model"
    assert memo.get(build) == "new model"


def test_a_failed_build_keeps_nothing():
    memo: Memo[str] = Memo()

    def broken():
        raise RuntimeError("database away")

    with pytest.raises(RuntimeError):
        memo.get(broken)
    assert memo.peek() is None
    assert memo.get(lambda: "fine") == "fine"
