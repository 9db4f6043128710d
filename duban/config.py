"""Settings: one object, read from ``DUBAN_*`` environment variables, validated at start.

Call :func:`load_settings` at the edge (CLI, scheduler, flow) and pass the result down.
"""

from __future__ import annotations

import os
import re
from datetime import time
from enum import StrEnum
from functools import cached_property
from pathlib import Path
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from platformdirs import user_data_path
from pydantic import Field, ValidationError, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict
from sqlalchemy.engine import make_url

from duban.failures import redact_url
from models.domain.loop import LoopRules, parse_kinds
from models.engine.config import EngineConfig
from models.errors import ConfigError, DubanError, quote
from models.store.db import psycopg_url
from notifications.addresses import parse_address
from notifications.transport import MailConfig


class SmtpSecurity(StrEnum):
    NONE = "none"
    STARTTLS = "starttls"
    TLS = "tls"


_OFFICE_HOURS = re.compile(r"^([01]\d|2[0-3]):([0-5]\d)-([01]\d|2[0-3]):([0-5]\d)$")

# What each variable should look like, quoted back to the user when a value is refused.
EXPECTED_FORM = {
    "home": "一个目录路径，例如 ./var（不设则为用户数据目录）",
    "database_url": "sqlite:///路径/duban.db 或 postgresql://用户@主机:端口/库名",
    "timezone": "IANA 时区名，例如 Asia/Shanghai",
    "smtp_host": "主机名，例如 smtp.example.org",
    "smtp_port": "1 到 65535 之间的整数，例如 25、465、587",
    "smtp_user": "用户名",
    "smtp_password": "密码",
    "smtp_security": "none、starttls 或 tls 之一",
    "smtp_from": "一个发件地址，例如 duban@example.org 或 区退役军人事务局 <duban@example.org>",
    "office_hours": "HH:MM-HH:MM，开始早于结束，例如 09:00-17:30",
    "bureau_name": "机关名称，例如 区退役军人事务局",
    "max_upload_mb": "1 到 1024 之间的整数（MB），例如 20",
    "web_host": "监听地址，例如 127.0.0.1 或 0.0.0.0",
    "web_port": "1 到 65535 之间的整数，例如 8000",
    "web_url": "网页工作台的地址，以 http:// 或 https:// 开头，例如 https://duban.example.org",
    "rank_grades": "三个从高到低的百分数（优秀、良好、一般的下限），例如 95,85,70",
    "review_kinds": "逗号分隔的事项类别（整改事项、报送节点、会议、任务），可为空，例如 整改事项,任务",
    "ack_kinds": "逗号分隔的事项类别（整改事项、报送节点、会议、任务），可为空，例如 整改事项,任务",
}


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="DUBAN_", extra="ignore", frozen=True)

    # The user's data folder (~/.local/share/duban on Linux) unless DUBAN_HOME says otherwise:
    # a command run from another folder finds the same database. `make run` sets ./var.
    home: Path = Field(default_factory=lambda: user_data_path("duban", appauthor=False))
    database_url: str | None = Field(default=None, repr=False)  # may carry a password
    timezone: str = "Asia/Shanghai"
    smtp_host: str | None = None
    smtp_port: int | None = None
    smtp_user: str | None = None
    smtp_password: str | None = Field(default=None, repr=False)
    smtp_security: SmtpSecurity = SmtpSecurity.NONE
    smtp_from: str = "duban@example.org"
    office_hours: str = "09:00-17:30"
    bureau_name: str = "区退役军人事务局"
    max_upload_mb: int = 20
    web_host: str = "127.0.0.1"
    web_port: int = 8000
    web_url: str | None = None  # reminders link to {web_url}/items/{id} when set
    rank_grades: str = "95,85,70"
    review_kinds: str = "整改事项,任务"  # kinds that wait for 审核 after 提交
    ack_kinds: str = "整改事项,任务"  # kinds a unit must acknowledge (签收)

    @field_validator("database_url")
    @classmethod
    def _database_url(cls, value: str | None) -> str | None:
        if value is None or value == "":
            return None
        value = psycopg_url(value)
        if not value.startswith(("postgresql+psycopg://", "sqlite://")):
            raise ValueError("unsupported database URL")
        try:
            make_url(value)
        except Exception:  # SQLAlchemy's message quotes the URL, password and all
            raise ValueError("unparsable database URL") from None
        return value

    @field_validator("home")
    @classmethod
    def _home(cls, value: Path) -> Path:
        if value.exists() and not value.is_dir():
            raise ValueError("DUBAN_HOME is not a directory")
        return value

    @field_validator("smtp_from")
    @classmethod
    def _sender(cls, value: str) -> str:
        """Checked at start: a bad sender would otherwise fail every message after its claim."""
        try:
            parse_address(value, role="发件地址")
        except DubanError:
            raise ValueError("bad sender address") from None
        return value

    @field_validator("timezone")
    @classmethod
    def _timezone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError) as exc:
            raise ValueError("unknown timezone") from exc
        return value

    @field_validator("smtp_port")
    @classmethod
    def _port(cls, value: int | None) -> int | None:
        if value is not None and not 1 <= value <= 65535:
            raise ValueError("port out of range")
        return value

    @field_validator("max_upload_mb")
    @classmethod
    def _upload_limit(cls, value: int) -> int:
        if not 1 <= value <= 1024:
            raise ValueError("upload limit out of range")
        return value

    @field_validator("web_port")
    @classmethod
    def _web_port(cls, value: int) -> int:
        if not 1 <= value <= 65535:
            raise ValueError("port out of range")
        return value

    @field_validator("web_url")
    @classmethod
    def _web_url(cls, value: str | None) -> str | None:
        if not value:
            return None
        if not re.match(r"^https?://[^\s/]+(/[^\s]*)?$", value.strip()):
            raise ValueError("bad url")
        return value.strip().rstrip("/")

    @field_validator("rank_grades")
    @classmethod
    def _rank_grades(cls, value: str) -> str:
        try:
            numbers = [float(v) for v in value.split(",")]
        except ValueError as exc:
            raise ValueError("not numbers") from exc
        if len(numbers) != 3 or not 100 >= numbers[0] > numbers[1] > numbers[2] >= 0:
            raise ValueError("three decreasing percentages")
        return value

    @cached_property
    def rank_grades_values(self) -> tuple[float, float, float]:
        a, b, c = (float(v) for v in self.rank_grades.split(","))
        return a, b, c

    @field_validator("review_kinds", "ack_kinds")
    @classmethod
    def _kinds(cls, value: str) -> str:
        try:
            parse_kinds(value, "类别")
        except DubanError as exc:
            raise ValueError(str(exc)) from None
        return value

    @field_validator("smtp_host", "smtp_user", "smtp_password")
    @classmethod
    def _blank_is_unset(cls, value: str | None) -> str | None:
        return value or None


    @field_validator("office_hours")
    @classmethod
    def _office_hours(cls, value: str) -> str:
        match = _OFFICE_HOURS.match(value.strip())
        if not match:
            raise ValueError("bad office hours")
        h1, m1, h2, m2 = map(int, match.groups())
        if (h1, m1) >= (h2, m2):
            raise ValueError("office hours end before they start")
        return value.strip()

    @cached_property
    def tz(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    @cached_property
    def office_start(self) -> time:
        return time.fromisoformat(self.office_hours.split("-")[0])

    @cached_property
    def office_end(self) -> time:
        return time.fromisoformat(self.office_hours.split("-")[1])

    @cached_property
    def resolved_database_url(self) -> str:
        return self.database_url or f"sqlite:///{(self.home / 'duban.db').resolve()}"

    @cached_property
    def files_dir(self) -> Path:
        """Where submitted files are kept, by SHA-256."""
        return self.home / "files"

    @cached_property
    def templates_dir(self) -> Path | None:
        """An administrator's template overrides: DUBAN_HOME/templates, when it exists."""
        folder = self.home / "templates"
        return folder if folder.is_dir() else None

    @cached_property
    def loop_rules(self) -> LoopRules:
        return LoopRules(review_kinds=parse_kinds(self.review_kinds, "DUBAN_REVIEW_KINDS"),
                         ack_kinds=parse_kinds(self.ack_kinds, "DUBAN_ACK_KINDS"))

    @cached_property
    def engine_config(self) -> EngineConfig:
        return EngineConfig(tz=self.tz, office_start=self.office_start, office_end=self.office_end,
                            bureau=self.bureau_name,
                            mail_domain=self.smtp_from.rpartition("@")[2] or "duban.local",
                            loop=self.loop_rules, web_url=self.web_url)

    @cached_property
    def mail_config(self) -> MailConfig:
        return MailConfig(outbox_dir=Path(self.home) / "outbox", host=self.smtp_host,
                          port=self.effective_smtp_port, security=str(self.smtp_security),
                          username=self.smtp_user, password=self.smtp_password)

    @cached_property
    def effective_smtp_port(self) -> int:
        if self.smtp_port:
            return self.smtp_port
        return {SmtpSecurity.TLS: 465, SmtpSecurity.STARTTLS: 587}.get(self.smtp_security, 25)


def _shown(field: str, value: object) -> str:
    """A refused value as the message may quote it: never a password."""
    if field == "smtp_password":
        return "（已隐藏）"
    text = str(value)
    return quote(redact_url(text) if field == "database_url" else text, 120)


def load_settings(**overrides: object) -> Settings:
    """Read settings from the environment; raise ConfigError naming every bad variable (and
    quoting no password)."""
    undecodable = sorted(name for name, value in os.environ.items()
                         if name.upper().startswith("DUBAN_") and not value.isprintable()
                         and any("\udc80" <= ch <= "\udcff" for ch in value))
    if undecodable:
        raise ConfigError("配置错误：\n" + "\n".join(
            f"环境变量 {quote(name, 60)} 的值不是有效的 UTF-8 文本：请检查系统的语言和编码设置（应为 UTF-8）"
            for name in undecodable))
    try:
        return Settings(**overrides)
    except ValidationError as exc:
        lines = []
        for err in exc.errors():
            field = str(err["loc"][0]) if err["loc"] else "?"
            lines.append(
                f"环境变量 DUBAN_{field.upper()} 的值 “{_shown(field, err.get('input'))}” 无效，"
                f"应为：{EXPECTED_FORM.get(field, '见 README')}"
            )
        raise ConfigError("配置错误：\n" + "\n".join(lines)) from None
