"""Fixed-width text tables that fit the terminal (100 columns): the command line's run summary,
comparisons and sweep summaries use :func:`text_table`."""

from __future__ import annotations

import textwrap

WIDTH = 100
"""Every table the command line prints fits this many columns."""


def text_table(headers: list[str], rows: list, align: str, width: int = WIDTH,
               wrap_col: int = 0, min_wrap: int = 16) -> list[str]:
    """A fixed-width text table that fits ``width`` columns.

    Args:
        headers: column headings (long ones wrap onto several lines).
        rows: cells as text; a row may be a plain string (a heading line spanning the table).
        align: one letter per column, ``l`` or ``r``.
        width: the most columns a line may use.
        wrap_col: the column whose cells wrap when the table is too wide (the labels).
        min_wrap: the narrowest that column may become.

    Returns:
        The lines of the table (header, rule, rows).
    """
    n = len(headers)
    body = [r for r in rows if not isinstance(r, str)]
    natural = [max([len(c) for c in (r[j] for r in body)] + [1]) for j in range(n)]
    head_w = [max((len(w) for w in h.split()), default=1) for h in headers]
    sep = 2
    # Headings on one line and the wrap column narrowed if that fits; else the headings wrap
    # too (at their longest word).
    for head in ([len(h) for h in headers], head_w):
        widths = [max(natural[j], head[j]) for j in range(n)]
        total = sum(widths) + sep * (n - 1)
        if total > width:
            widths[wrap_col] = max(min_wrap, head[wrap_col],
                                   widths[wrap_col] - (total - width))
        if sum(widths) + sep * (n - 1) <= width:
            break
    # Headings wrap within their column.
    head_lines = [textwrap.wrap(h, max(widths[j], 1)) or [""] for j, h in enumerate(headers)]
    depth = max(len(h) for h in head_lines)

    def fmt(cells: list[str]) -> str:
        out = []
        for j, c in enumerate(cells):
            out.append(c.ljust(widths[j]) if align[j] == "l" else c.rjust(widths[j]))
        return (" " * sep).join(out).rstrip()

    lines = []
    for k in range(depth):
        # headings sit on the bottom lines of the heading block
        cells = []
        for h in head_lines:
            off = depth - len(h)
            cells.append(h[k - off] if k >= off else "")
        lines.append(fmt(cells))
    lines.append(fmt(["-" * w for w in widths]))
    for r in rows:
        if isinstance(r, str):
            lines += textwrap.wrap(r, width) or [""]
            continue
        parts = [textwrap.wrap(c, widths[j], break_on_hyphens=False)
                 if j == wrap_col and len(c) > widths[j] else [c]
                 for j, c in enumerate(r)]
        for k in range(max(len(p) for p in parts)):
            lines.append(fmt([p[k] if k < len(p) else "" for p in parts]))
    return [ln[:width] for ln in lines]
