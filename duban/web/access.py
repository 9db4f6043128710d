"""One check per kind of object: what a viewer may open. A unit account asking for another
unit's object gets the same 404 as for an id that does not exist."""

from __future__ import annotations

from sqlmodel import Session

from duban.web.context import Hidden, Viewer
from models.store.tables import (
    Extension,
    Item,
    ProgressEntry,
    ProgressFile,
    Submission,
    SubmissionFile,
    Unit,
)


def unit_scope(viewer: Viewer) -> int | None:
    """The unit a viewer is confined to; None for the bureau's roles (every unit)."""
    return viewer.unit_id if viewer.is_unit else None


def item_for(session: Session, viewer: Viewer, item_id: int) -> tuple[Item, Unit]:
    item = session.get(Item, item_id)
    if item is None or (viewer.is_unit and item.unit_id != viewer.unit_id):
        raise Hidden
    unit = session.get(Unit, item.unit_id)
    assert unit is not None
    return item, unit


def submission_file_for(session: Session, viewer: Viewer, file_id: int) -> tuple[SubmissionFile, Item]:
    stored = session.get(SubmissionFile, file_id)
    if stored is None:
        raise Hidden
    submission = session.get(Submission, stored.submission_id)
    assert submission is not None
    item, _ = item_for(session, viewer, submission.item_id)
    return stored, item


def extension_for(session: Session, viewer: Viewer, extension_id: int) -> tuple[Extension, Item]:
    extension = session.get(Extension, extension_id)
    if extension is None:
        raise Hidden
    item, _ = item_for(session, viewer, extension.item_id)
    return extension, item


def progress_file_for(session: Session, viewer: Viewer, file_id: int) -> tuple[ProgressFile, Item]:
    stored = session.get(ProgressFile, file_id)
    if stored is None:
        raise Hidden
    entry = session.get(ProgressEntry, stored.progress_id)
    assert entry is not None
    item, _ = item_for(session, viewer, entry.item_id)
    return stored, item
