"""Tables that fit the terminal: one line a row, flexible columns cut with "…" (not wrapped).

    lines = fit_columns(["run", "incident", "s"], rows, width=80, flex={"incident": 1})

Fixed columns take the width of their widest cell; the flexible ones share what is left
(by weight), never less than their header. Widths count terminal cells, so wide
characters line up.
"""

from __future__ import annotations

from rich.cells import cell_len, set_cell_size

GAP = 2


def cut(text: str, width: int) -> str:
    """`text` in at most `width` cells, ending in "…" when cut."""
    text = " ".join(str(text).split())
    if cell_len(text) <= width:
        return text
    if width <= 1:
        return "…"[:width]
    return set_cell_size(text, width - 1) + "…"


def fit_columns(headers: list[str], rows: list[list[str]], width: int, flex: dict[str, float]) -> list[str]:
    """Header line, then one line a row, each at most `width` cells."""
    natural = [max([cell_len(h)] + [cell_len(" ".join(str(r[i]).split())) for r in rows]) for i, h in enumerate(headers)]
    fixed = sum(w for h, w in zip(headers, natural) if h not in flex)
    room = max(width - fixed - GAP * (len(headers) - 1), 0)
    widths = list(natural)
    open_ = {i: flex[h] for i, h in enumerate(headers) if h in flex}
    while open_:                             # water-filling: who needs less than its share gets it all
        total = sum(open_.values()) or 1.0
        share = {i: room * w / total for i, w in open_.items()}
        settled = [i for i in open_ if natural[i] <= share[i]]
        if not settled:
            for i in open_:
                widths[i] = max(cell_len(headers[i]), int(share[i]))
            break
        for i in settled:
            widths[i] = natural[i]
            room -= natural[i]
            del open_[i]

    def line(cells: list[str]) -> str:
        parts = [set_cell_size(cut(c, w), w) for c, w in zip(cells, widths)]
        return (" " * GAP).join(parts).rstrip()

    return [line(headers)] + [line([str(c) for c in r]) for r in rows]
