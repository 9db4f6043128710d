"""Tables for an 80-column terminal: every cell wraps (folds) rather than being cut to "提升 …".

Chinese text has no spaces for Rich to wrap at, so a cell is folded at any character when it
does not fit; short columns (ids, dates, statuses) are kept on one line.
"""

from __future__ import annotations

from rich import box
from rich.table import Table

from duban.cli.context import out

NARROW = 120  # below this many columns, short columns get the fixed widths they are given


def table(*headers: str, title: str | None = None, keep: tuple[str, ...] = (),
          narrow: dict[str, int] | None = None) -> Table:
    """A table whose columns fold. ``keep`` names the columns never to break (ids, codes);
    ``narrow`` fixes the width of short columns on a narrow terminal (a date folds to 10, a
    four-character word to two lines of two), leaving the rest to the long text columns (Rich
    would otherwise share the width out evenly, and a title gets three characters a line)."""
    t = Table(title=title, box=box.SIMPLE_HEAVY, pad_edge=False, collapse_padding=True)
    fixed = narrow if narrow and out.width < NARROW else {}
    for header in headers:
        t.add_column(header, overflow="fold", no_wrap=header in keep, width=fixed.get(header))
    return t


def page_hint(shown: int, offset: int, total: int, what: str = "项",
              more: str | None = None) -> None:
    """After a limited listing: which rows were shown and how to see the others (``more``
    replaces the --offset / --limit hints)."""
    if shown >= total and offset == 0:
        return
    first, last = (offset + 1, offset + shown) if shown else (0, 0)
    hints = []
    if more:
        hints.append(more)
    else:
        if offset + shown < total:
            hints.append(f"下一页：--offset {offset + shown}")
        hints.append("全部：--limit 0")
    out.print(f"显示第 {first}–{last} {what}，共 {total} {what}。{'；'.join(hints)}")
