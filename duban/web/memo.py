"""One value kept until its key changes, computed by one request at a time."""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any


class Memo:
    """``get(key, compute)``: the value for ``key``, computing it when the key changed. Only one
    request computes at a time: while it does, the others get the previous value, or wait for
    this one when there is none yet, rather than starting the same work again."""

    def __init__(self) -> None:
        self._cond = threading.Condition()
        self._key: Any = object()
        self._value: Any = None
        self._has_value = False
        self._busy = False

    def get(self, key: Any, compute: Callable[[], Any]) -> Any:
        with self._cond:
            while True:
                if self._has_value and key == self._key:
                    return self._value
                if not self._busy:
                    break
                if self._has_value:
                    return self._value  # a newer value is on its way; this one is seconds old
                self._cond.wait()
            self._busy = True
        try:
            value = compute()
        except BaseException:
            with self._cond:
                self._busy = False
                self._cond.notify_all()
            raise
        with self._cond:
            self._key, self._value, self._has_value, self._busy = key, value, True, False
            self._cond.notify_all()
        return value
