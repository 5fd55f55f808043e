"""Charts as SVG, drawn from the report's tables. Every chart sits beside the table it draws,
which is its text alternative; the SVG carries a title and a description for screen readers.
No style attributes (the site's CSP forbids them): geometry and colour are plain attributes.
"""

from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext as _

from reports.structure import CategoryLine, ComparedLine

INK = "#1b1b1b"
BAR = "#0b5394"
BAR_STATE = "#7f7f7f"
FONT = "DejaVu Sans, Helvetica, Arial, sans-serif"


def vote_bars(lines: list[CategoryLine], *, title: str, description: str) -> SafeString:
    """Horizontal bars of votes per category, in the table's order (none where withheld)."""
    lines = [line for line in lines if not line.withheld]
    if not lines:
        return mark_safe("")
    label_width, bar_width, row, top = 300, 300, 26, 10
    most = max((line.votes for line in lines), default=0) or 1
    height = top * 2 + row * len(lines)
    width = label_width + bar_width + 60
    parts = [_open(width, height, title, description)]
    for index, line in enumerate(lines):
        y = top + index * row
        length = round(bar_width * line.votes / most)
        label = f"{line.reference_number}. {line.name}"
        parts.append(
            f'<text x="{label_width - 8}" y="{y + 17}" text-anchor="end" font-size="13" '
            f'fill="{INK}">{escape(_shorten(label, 42))}</text>'
            f'<rect x="{label_width}" y="{y + 4}" width="{length}" height="{row - 8}" '
            f'fill="{BAR}"/>'
            f'<text x="{label_width + length + 6}" y="{y + 17}" font-size="13" '
            f'fill="{INK}">{line.votes}</text>'
        )
    parts.append("</svg>")
    return _safe(parts)


def rank_slope(compared: list[ComparedLine], *, title: str, description: str) -> SafeString:
    """A slope chart: each category's state rank on the left joined to its local rank."""
    paired = [c for c in compared if c.state is not None and c.state.rank and c.category.rank]
    if not paired:
        return mark_safe("")
    places = max(max(c.state.rank for c in paired), max(c.category.rank for c in paired))
    row, top, left, right, label = 30, 40, 250, 470, 230
    height = top + row * places + 10
    width = right + label
    parts = [_open(width, height, title, description)]
    parts.append(
        f'<text x="{left}" y="20" text-anchor="middle" font-size="13" font-weight="bold" '
        f'fill="{INK}">{escape(_("State rank"))}</text>'
        f'<text x="{right}" y="20" text-anchor="middle" font-size="13" font-weight="bold" '
        f'fill="{INK}">{escape(_("Local rank"))}</text>'
    )
    for c in paired:
        y1 = top + (c.state.rank - 1) * row
        y2 = top + (c.category.rank - 1) * row
        colour = BAR if (c.moved or 0) > 0 else (BAR_STATE if not c.moved else "#a61c00")
        parts.append(
            f'<line x1="{left}" y1="{y1}" x2="{right}" y2="{y2}" stroke="{colour}" '
            f'stroke-width="2.5"/>'
            f'<circle cx="{left}" cy="{y1}" r="4" fill="{colour}"/>'
            f'<circle cx="{right}" cy="{y2}" r="4" fill="{colour}"/>'
            f'<text x="{left - 10}" y="{y1 + 4}" text-anchor="end" font-size="12" '
            f'fill="{INK}">{c.state.rank}. {escape(_shorten(c.state.name, 30))}</text>'
            f'<text x="{right + 10}" y="{y2 + 4}" font-size="12" '
            f'fill="{INK}">{c.category.rank}. {escape(_shorten(c.category.name, 30))}</text>'
        )
    parts.append("</svg>")
    return _safe(parts)


def _safe(parts: list[str]) -> SafeString:
    # Safe by construction: every piece of text from the records went through escape() above.
    return mark_safe("".join(parts))  # noqa: S308


def _open(width: int, height: int, title: str, description: str) -> str:
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" '
        f'width="{width}" height="{height}" role="img" class="report-chart" '
        f'font-family="{FONT}"><title>{escape(title)}</title><desc>{escape(description)}</desc>'
    )


def _shorten(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"
