"""One value kept until its key changes, computed by one request at a time."""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any


class Memo:
    """``get(key, compute)``: the value for ``key``, computing it when the key changed. While one
    request computes, others asking for a newer key get the previous value rather than
    starting the same work again (at most one computation at a time)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._key: Any = object()
        self._value: Any = None
        self._busy = False

    def get(self, key: Any, compute: Callable[[], Any]) -> Any:
        with self._lock:
            if key == self._key:
                return self._value
            if self._busy and self._value is not None:
                return self._value
            self._busy = True
        try:
            value = compute()
        except BaseException:
            with self._lock:
                self._busy = False
            raise
        with self._lock:
            self._key, self._value, self._busy = key, value, False
        return value
