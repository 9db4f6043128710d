"""Opening a file a user names (a ledger, a calendar, a submission): only a regular file, never
through a symbolic link, and never more than a set size.

A symlink to /etc/shadow would copy a secret into DUBAN_HOME; a FIFO would hang the command; a
device such as /dev/zero would be read until memory ran out. The file is opened with
O_NOFOLLOW and O_NONBLOCK and checked with fstat on the open descriptor, so what is checked is
what is read.
"""

from __future__ import annotations

import csv
import errno
import os
import stat
from pathlib import Path

from models.errors import InputError, os_error_words, quote

PATH_CHARS = 300


def _refuse(field: str, path: Path, reason: str) -> InputError:
    return InputError(field, str(path), reason, limit=PATH_CHARS)


def open_regular(path: Path, *, field: str) -> int:
    """A read-only descriptor on ``path``; InputError naming ``field`` when it is missing, a
    symbolic link, or not a regular file (a directory, a device, a pipe)."""
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_CLOEXEC)
    except OSError as exc:
        if exc.errno == errno.ELOOP:
            raise _refuse(field, path, "是符号链接，不予读取：请直接指定文件本身") from None
        raise _refuse(field, path, f"无法读取（{os_error_words(exc)}）") from None
    if not stat.S_ISREG(os.fstat(fd).st_mode):
        os.close(fd)
        raise _refuse(field, path, "不是普通文件（是目录、设备或管道）")
    return fd


def too_big(path: Path, size: int, max_bytes: int, field: str) -> InputError:
    return InputError(field, path.name,
                      f"大小 {size / 1048576:.1f} MB，超过上限 {max_bytes / 1048576:.0f} MB")


def read_regular_file(path: Path, *, max_bytes: int, field: str) -> bytes:
    """The bytes of a regular file (see ``open_regular``) of at most ``max_bytes``."""
    fd = open_regular(path, field=field)
    with os.fdopen(fd, "rb") as file:
        size = os.fstat(fd).st_size
        if size > max_bytes:
            raise too_big(path, size, max_bytes, field)
        try:
            data = file.read(max_bytes + 1)
        except OSError as exc:
            raise _refuse(field, path, f"无法读取（{os_error_words(exc)}）") from None
    if len(data) > max_bytes:  # it grew while being read
        raise too_big(path, len(data), max_bytes, field)
    return data


def csv_problem(exc: csv.Error) -> str:
    """The csv module's complaint in Chinese (the one a hostile file causes), else quoted."""
    if "field larger than field limit" in str(exc):
        return (f"有单元格超过 {csv.field_size_limit()} 个字符，"
                "可能是某个引号没有闭合")
    return quote(str(exc), 80)
