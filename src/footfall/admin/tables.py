"""Plain-text tables for the command line (no colours, no dependencies)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

__all__ = ["format_table"]


def _cell(value: Any) -> str:
    if value is None:
        return "-"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, float):
        return f"{value:.1f}"
    return str(value).replace("\n", " ")


def format_table(
    columns: Sequence[tuple[str, str]], rows: Sequence[Mapping[str, Any]], *, max_width: int = 60
) -> str:
    """``columns`` is ``(key, heading)`` pairs; long cells are cut to ``max_width``."""
    cells = [[_cell(row.get(key))[:max_width] for key, _ in columns] for row in rows]
    headings = [heading for _, heading in columns]
    widths = [
        max([len(heading)] + [len(line[i]) for line in cells]) for i, heading in enumerate(headings)
    ]
    lines = ["  ".join(h.ljust(w) for h, w in zip(headings, widths, strict=True)).rstrip()]
    for line in cells:
        lines.append("  ".join(c.ljust(w) for c, w in zip(line, widths, strict=True)).rstrip())
    return "\n".join(lines)
