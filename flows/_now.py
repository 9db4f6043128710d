"""The flows' edge with the clock: an explicit ``now`` parameter, else the wall clock."""

from __future__ import annotations

from datetime import UTC, datetime

from duban.config import Settings
from models.domain.parsing import parse_instant


def resolve_now(now: str | None, settings: Settings) -> datetime:
    return parse_instant(now, settings.tz, "now") if now else datetime.now(UTC)
