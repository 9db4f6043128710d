"""What the reminder engine needs besides the database, built once at the top from Settings
(``duban.config.Settings.engine_config``) and passed down as a value."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import time
from zoneinfo import ZoneInfo

from models.domain.loop import LoopRules


@dataclass(frozen=True)
class EngineConfig:
    """What detection needs besides the database: zone, office start, names for the mail."""

    tz: ZoneInfo
    office_start: time
    office_end: time
    bureau: str
    mail_domain: str
    # Which kinds wait for 审核 after 提交 and must be acknowledged (签收).
    loop: LoopRules = field(default_factory=LoopRules)
    web_url: str | None = None  # reminders link to {web_url}/items/{id} when the web is served
