"""Uploaded files on their way in: kept under DUBAN_HOME/uploads by a random token between a
check and its confirmation (台账), or stored for good by SHA-256 (submissions)."""

from __future__ import annotations

import re
import secrets
import shutil
import time
from pathlib import Path

from starlette.datastructures import UploadFile  # what FastAPI hands over (its own is a subclass)

from models.errors import InputError

_TOKEN = re.compile(r"^[A-Za-z0-9_-]{20,64}$")


def has_file(upload: UploadFile | str | None) -> bool:
    """A file was chosen (a form without one sends an empty part, or a plain string)."""
    return isinstance(upload, UploadFile) and bool(upload.filename)


def save_upload(upload: UploadFile, folder: Path, *, max_bytes: int) -> Path:
    """Copy an upload into a new file in ``folder``, refusing it when it is empty or too big."""
    folder.mkdir(parents=True, exist_ok=True)
    name = _safe_name(upload.filename or "upload")
    target = folder / name
    size = 0
    with target.open("wb") as out:
        while chunk := upload.file.read(1 << 20):
            size += len(chunk)
            if size > max_bytes:
                out.close()
                shutil.rmtree(folder, ignore_errors=True)
                raise InputError("文件", name, f"超过上限 {max_bytes // 1048576} MB")
            out.write(chunk)
    if size == 0:
        shutil.rmtree(folder, ignore_errors=True)
        raise InputError("文件", name, "是空文件")
    return target


def _safe_name(filename: str) -> str:
    """The file's own name without any folder part, or a stand-in; never a path."""
    name = filename.replace("\\", "/").rsplit("/", 1)[-1].strip().lstrip(".")
    name = "".join(ch for ch in name if ch.isprintable() and ch not in '<>:"|?*')
    return name[:120] or "upload"


def new_token() -> str:
    return secrets.token_urlsafe(24)


def sweep_abandoned(home: Path, *, older_than_s: float = 86400) -> None:
    """Checked uploads nobody confirmed within a day are removed."""
    folder = home / "uploads"
    if not folder.is_dir():
        return
    limit = time.time() - older_than_s
    for child in folder.iterdir():
        if child.is_dir() and child.stat().st_mtime < limit:
            shutil.rmtree(child, ignore_errors=True)


def pending_folder(home: Path, token: str) -> Path | None:
    """The folder a checked upload waits in; None for a token that is not one of ours."""
    if not _TOKEN.match(token or ""):
        return None
    folder = home / "uploads" / token
    return folder if folder.is_dir() else None
