"""The report's two charts as PNG bytes, in a CJK font: on-time rate by unit (bars) and overdue
items at each month's end (line). Matplotlib's Figure API, not pyplot: no display and no global
state, so reports drawn in the web's background threads do not share one current figure."""

from __future__ import annotations

import io
from functools import lru_cache

from matplotlib import font_manager
from matplotlib.figure import Figure

from models.reports.summary.figures import SummaryFigures

CJK_FAMILIES = ("Noto Sans CJK SC", "Noto Serif CJK SC", "WenQuanYi Zen Hei", "SimHei",
                "Microsoft YaHei")
MAX_BARS = 30  # more units than this: the 30 with the lowest rates
DPI = 150


@lru_cache(maxsize=1)
def cjk_family() -> str:
    """The first installed CJK font family (fonts-noto-cjk on Debian)."""
    installed = {f.name for f in font_manager.fontManager.ttflist}
    for family in CJK_FAMILIES:
        if family in installed:
            return family
    # fonts-noto-cjk ships .ttc collections, which some matplotlib builds list under one name.
    for f in font_manager.fontManager.ttflist:
        if "CJK" in f.name:
            return f.name
    from models.errors import ConfigError

    raise ConfigError("找不到中文字体，无法绘制图表：请安装 fonts-noto-cjk")


def _png(fig) -> bytes:
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=DPI, bbox_inches="tight")
    return buffer.getvalue()


def rate_chart(fig_data: SummaryFigures) -> tuple[bytes, str]:
    """Bars of the on-time rate per unit, lowest first; and the chart's caption."""
    units = [u for u in fig_data.units if u.outcome.rate is not None]
    units.sort(key=lambda u: (u.outcome.rate, u.unit))
    caption = "各单位按期办结率"
    if len(units) > MAX_BARS:
        caption += f"（按期办结率最低的 {MAX_BARS} 个单位，共 {len(units)} 个）"
        units = units[:MAX_BARS]
    family = cjk_family()
    height = max(2.5, 0.32 * len(units) + 1.0)
    fig = Figure(figsize=(6.2, height))
    ax = fig.subplots()
    names = [u.unit for u in units]
    rates = [u.outcome.rate * 100 for u in units]  # type: ignore[operator]
    bars = ax.barh(range(len(units)), rates, color="#2f5597")
    ax.set_yticks(range(len(units)), names, fontfamily=family, fontsize=8)
    ax.set_xlim(0, 110)
    ax.set_xlabel("按期办结率（%）", fontfamily=family, fontsize=9)
    ax.set_title(caption, fontfamily=family, fontsize=11)
    for bar, rate in zip(bars, rates, strict=True):
        ax.text(bar.get_width() + 1, bar.get_y() + bar.get_height() / 2, f"{rate:.1f}",
                va="center", fontsize=7)
    if not units:
        ax.text(55, 0, "本期间没有已到期的事项", ha="center", fontfamily=family)
    return _png(fig), caption


def overdue_chart(fig_data: SummaryFigures) -> tuple[bytes, str]:
    """A line of the items overdue at each month's end; months not yet begun are left out."""
    points = [(m, n) for m, n in fig_data.monthly_overdue if n is not None]
    family = cjk_family()
    caption = "各月末逾期事项数"
    fig = Figure(figsize=(6.2, 2.8))
    ax = fig.subplots()
    labels = [f"{m.month}月" for m, _ in points]
    values = [n for _, n in points]
    ax.plot(range(len(points)), values, marker="o", color="#c00000")
    ax.set_xticks(range(len(points)), labels, fontfamily=family, fontsize=8)
    ax.set_ylabel("逾期事项（项）", fontfamily=family, fontsize=9)
    ax.set_title(caption, fontfamily=family, fontsize=11)
    ax.set_ylim(bottom=0)
    for x, v in enumerate(values):
        ax.annotate(str(v), (x, v), textcoords="offset points", xytext=(0, 5), ha="center",
                    fontsize=7)
    return _png(fig), caption
