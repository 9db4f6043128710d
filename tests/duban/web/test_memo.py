"""The overview's cache: kept until the key changes, computed once however many ask at once."""

from __future__ import annotations

import threading
import time

import pytest

from duban.web.memo import Memo


def test_a_value_is_kept_until_its_key_changes():
    memo, calls = Memo(), []
    assert memo.get(1, lambda: calls.append(1) or "a") == "a"
    assert memo.get(1, lambda: calls.append(2) or "b") == "a"
    assert memo.get(2, lambda: calls.append(3) or "c") == "c"
    assert calls == [1, 3]


def test_concurrent_first_requests_compute_once_and_all_get_the_value():
    memo, calls, results = Memo(), [], []

    def slow():
        calls.append(1)
        time.sleep(0.2)
        return "totals"

    threads = [threading.Thread(target=lambda: results.append(memo.get("k", slow))) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert calls == [1] and results == ["totals"] * 8


def test_a_failed_computation_lets_the_next_request_try_again():
    memo = Memo()

    def broken():
        raise RuntimeError("database gone")

    with pytest.raises(RuntimeError):
        memo.get(1, broken)
    assert memo.get(1, lambda: "ok") == "ok"
