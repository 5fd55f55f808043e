"""The report's charts: a small geometric model (shapes and text boxes with their sizes), laid
out here once and drawn twice, as SVG for the page and the PDF and as PNG (Pillow) for Word.

Every chart sits beside the table it draws, which is its full text alternative; each figure
also has a short alternative text in words. Text is measured with DejaVu Sans (the font the
PDF uses), so labels are wrapped rather than cut, and a test can check that no two label
boxes overlap and that none leaves the canvas. No style attributes (the site's CSP forbids
them): geometry and colour are plain attributes.
"""

import io
from dataclasses import dataclass, field, replace
from functools import lru_cache

from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from PIL import Image, ImageDraw, ImageFont

from reports.structure import CategoryLine, ComparedLine, Report
from reports.tables import votes_text

INK = "#1b1b1b"
BAR = "#0b5394"
SAME = "#6f6f6f"
DOWN = "#a61c00"
LEADER = "#9a9a9a"
FONT_FAMILY = "DejaVu Sans, Helvetica, Arial, sans-serif"
FONT_FILES = {
    False: ("/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf", "DejaVuSans.ttf"),
    True: ("/usr/share/fonts/truetype/dejavu/DejaVuSans-Bold.ttf", "DejaVuSans-Bold.ttf"),
}
LINE_HEIGHT = 1.3  # of the font size


# --- The model --------------------------------------------------------------------------------


@dataclass(frozen=True)
class TextBox:
    """A label: its lines, and the box they fill (x, y: the top left corner, in CSS px)."""

    x: float
    y: float
    width: float
    height: float
    lines: tuple[str, ...]
    size: int
    anchor: str = "start"  # "start", "middle" or "end", as in SVG
    bold: bool = False

    def overlaps(self, other: "TextBox") -> bool:
        return (
            self.x < other.x + other.width
            and other.x < self.x + self.width
            and self.y < other.y + other.height
            and other.y < self.y + self.height
        )

    @property
    def anchor_x(self) -> float:
        return {"start": self.x, "middle": self.x + self.width / 2}.get(
            self.anchor, self.x + self.width
        )

    def baselines(self) -> list[float]:
        ascent, descent = _font(self.size, self.bold).getmetrics()
        step = self.size * LINE_HEIGHT
        lead = (step - ascent - descent) / 2
        return [self.y + index * step + lead + ascent for index in range(len(self.lines))]


@dataclass(frozen=True)
class Rect:
    x: float
    y: float
    width: float
    height: float
    fill: str


@dataclass(frozen=True)
class Segment:
    x1: float
    y1: float
    x2: float
    y2: float
    stroke: str
    stroke_width: float = 1.0


@dataclass(frozen=True)
class Dot:
    cx: float
    cy: float
    r: float
    fill: str


@dataclass(frozen=True)
class Chart:
    width: int
    height: int
    shapes: tuple[Rect | Segment | Dot, ...]
    texts: tuple[TextBox, ...]


@dataclass(frozen=True)
class Figure:
    """One chart of the report, ready for every format."""

    key: str  # "state_concerns", "local_benefits", "slope"
    title: str
    alt: str  # what the chart shows, in words (the table beside it gives the figures)
    caption: str
    svg: SafeString
    width: int  # CSS px at scale 1
    height: int
    chart: Chart = field(repr=False, compare=False)

    def png(self, *, scale: float = 2.0) -> bytes:
        return chart_png(self.chart, scale=scale)


# --- Text measuring and wrapping -------------------------------------------------------------


@lru_cache(maxsize=32)
def _font(size: float, bold: bool = False) -> ImageFont.FreeTypeFont | ImageFont.ImageFont:
    for name in FONT_FILES[bold]:
        try:
            return ImageFont.truetype(name, size)
        except OSError:
            continue
    return ImageFont.load_default(size)  # Pillow's own font where DejaVu is not installed


def text_width(text: str, size: int, bold: bool = False) -> float:
    left, _top, right, _bottom = _font(size, bold).getbbox(text)
    return max(right - min(left, 0), _font(size, bold).getlength(text))


def wrap(text: str, width: float, size: int, bold: bool = False) -> tuple[str, ...]:
    """The text in lines no wider than ``width``; a word longer than a line is split."""
    lines: list[str] = []
    current = ""
    for word in text.split():
        candidate = f"{current} {word}" if current else word
        if text_width(candidate, size, bold) <= width:
            current = candidate
            continue
        if current:
            lines.append(current)
        current = ""
        while text_width(word, size, bold) > width and len(word) > 1:
            cut = max(n for n in range(1, len(word)) if text_width(word[:n], size, bold) <= width)
            lines.append(word[:cut])
            word = word[cut:]
        current = word
    if current or not lines:
        lines.append(current)
    return tuple(lines)


def text_box(
    text: str, *, x: float, y: float, size: int, max_width: float, anchor="start", bold=False
) -> TextBox:
    """A wrapped label whose anchor point is (x, y top); the box is placed by the anchor."""
    lines = wrap(text, max_width, size, bold)
    width = max(text_width(line, size, bold) for line in lines)
    left = {"start": x, "middle": x - width / 2}.get(anchor, x - width)
    return TextBox(left, y, width, len(lines) * size * LINE_HEIGHT, lines, size, anchor, bold)


def spread(wanted: list[float], heights: list[float], gap: float, top: float) -> list[float]:
    """Top edges for boxes that want to be centred on ``wanted`` (ascending), none overlapping.

    Boxes that would collide are merged into a run, and each run is centred on the mean of its
    boxes' wishes (never above ``top``), so tied labels sit around their shared point.
    """
    runs: list[list[int]] = []  # each run: the indexes of its boxes, consecutive

    def offsets(run: list[int]) -> list[float]:
        result, y = [], 0.0
        for index in run:
            result.append(y)
            y += heights[index] + gap
        return result

    def run_top(run: list[int]) -> float:
        ideal = [
            wanted[index] - heights[index] / 2 - offset
            for index, offset in zip(run, offsets(run), strict=True)
        ]
        return max(top, sum(ideal) / len(ideal))

    def run_bottom(run: list[int]) -> float:
        return run_top(run) + offsets(run)[-1] + heights[run[-1]]

    for index in range(len(wanted)):
        runs.append([index])
        while len(runs) > 1 and run_bottom(runs[-2]) + gap > run_top(runs[-1]):
            last = runs.pop()
            runs[-1].extend(last)
    tops: list[float] = []
    for run in runs:
        start = run_top(run)
        tops += [start + offset for offset in offsets(run)]
    return tops


# --- Drawing ----------------------------------------------------------------------------------


def chart_svg(chart: Chart, *, title: str, description: str) -> SafeString:
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {chart.width} {chart.height}" '
        f'width="{chart.width}" height="{chart.height}" role="img" class="report-chart" '
        f'font-family="{FONT_FAMILY}"><title>{escape(title)}</title>'
        f"<desc>{escape(description)}</desc>"
    ]
    for shape in chart.shapes:
        parts.append(_shape_svg(shape))
    for box in chart.texts:
        weight = ' font-weight="bold"' if box.bold else ""
        x = f"{box.anchor_x:.1f}"
        spans = "".join(
            f'<tspan x="{x}" y="{baseline:.1f}">{escape(line)}</tspan>'
            for line, baseline in zip(box.lines, box.baselines(), strict=True)
        )
        parts.append(
            f'<text text-anchor="{box.anchor}" font-size="{box.size}"{weight} '
            f'fill="{INK}">{spans}</text>'
        )
    parts.append("</svg>")
    # Safe by construction: every piece of text from the records went through escape() above.
    return mark_safe("".join(parts))  # noqa: S308


def _shape_svg(shape: Rect | Segment | Dot) -> str:
    if isinstance(shape, Rect):
        return (
            f'<rect x="{shape.x:.1f}" y="{shape.y:.1f}" width="{shape.width:.1f}" '
            f'height="{shape.height:.1f}" fill="{shape.fill}"/>'
        )
    if isinstance(shape, Segment):
        return (
            f'<line x1="{shape.x1:.1f}" y1="{shape.y1:.1f}" x2="{shape.x2:.1f}" '
            f'y2="{shape.y2:.1f}" stroke="{shape.stroke}" stroke-width="{shape.stroke_width}"/>'
        )
    return f'<circle cx="{shape.cx:.1f}" cy="{shape.cy:.1f}" r="{shape.r}" fill="{shape.fill}"/>'


def chart_png(chart: Chart, *, scale: float = 2.0) -> bytes:
    image = Image.new("RGB", (round(chart.width * scale), round(chart.height * scale)), "white")
    draw = ImageDraw.Draw(image)
    for shape in chart.shapes:
        if isinstance(shape, Rect):
            if shape.width > 0:
                box = [shape.x, shape.y, shape.x + shape.width, shape.y + shape.height]
                draw.rectangle([v * scale for v in box], fill=shape.fill)
        elif isinstance(shape, Segment):
            points = [shape.x1, shape.y1, shape.x2, shape.y2]
            width = max(1, round(shape.stroke_width * scale))
            draw.line([v * scale for v in points], fill=shape.stroke, width=width)
        else:
            box = [shape.cx - shape.r, shape.cy - shape.r, shape.cx + shape.r, shape.cy + shape.r]
            draw.ellipse([v * scale for v in box], fill=shape.fill)
    for box in chart.texts:
        font = _font(round(box.size * scale), box.bold)
        anchor = {"start": "ls", "middle": "ms"}.get(box.anchor, "rs")
        for line, baseline in zip(box.lines, box.baselines(), strict=True):
            draw.text((box.anchor_x * scale, baseline * scale), line, INK, font, anchor=anchor)
    buffer = io.BytesIO()
    image.save(buffer, "PNG")
    return buffer.getvalue()


# --- The charts -------------------------------------------------------------------------------

BARS_WIDTH, BARS_LABEL, BARS_LENGTH, BARS_SIZE, BARS_ROW = 640, 290, 290, 13, 26


def vote_bars(lines: list[CategoryLine], *, ranked: bool = True) -> Chart | None:
    """Horizontal bars of votes per category, in the table's order (none where withheld).

    A ranked list is labelled by rank and name ("1. Security"); a list that is not ranked keeps
    its reference numbers, which are only there for ease of reference.
    """
    lines = [line for line in lines if not line.withheld]
    if not lines:
        return None
    most = max(line.votes or 0 for line in lines) or 1
    shapes: list[Rect | Segment | Dot] = []
    texts: list[TextBox] = []
    y, pad = 8.0, 4.0
    for line in lines:
        number = line.rank if ranked else line.reference_number
        name = f"{number}. {line.name}" if number else line.name
        label = text_box(
            name, x=BARS_LABEL - 10, y=0, size=BARS_SIZE, max_width=BARS_LABEL - 14, anchor="end"
        )
        row = max(BARS_ROW, label.height + 2 * pad)
        length = BARS_LENGTH * (line.votes or 0) / most
        bar_height = BARS_ROW - 2 * pad - 2
        shapes.append(Rect(BARS_LABEL, y + (row - bar_height) / 2, length, bar_height, BAR))
        value = text_box(
            votes_text(line), x=BARS_LABEL + length + 6, y=0, size=BARS_SIZE, max_width=80
        )
        texts += [
            replace(label, y=y + (row - label.height) / 2),
            replace(value, y=y + (row - value.height) / 2),
        ]
        y += row
    shapes.append(Segment(BARS_LABEL, 4, BARS_LABEL, y + 4, INK, 1))
    return Chart(BARS_WIDTH, round(y + 8), tuple(shapes), tuple(texts))


SLOPE_WIDTH, SLOPE_LEFT, SLOPE_RIGHT, SLOPE_SIZE, SLOPE_ROW, SLOPE_TOP = 640, 220, 420, 12, 34, 44
SLOPE_LABEL = SLOPE_LEFT - 24  # the widest label, on either side (the chart is symmetric)


def rank_slope(compared: list[ComparedLine]) -> Chart | None:
    """A slope chart: each category's state rank on the left joined to its local rank.

    Tied categories share a point; their labels are set one under the other around it, each
    joined to the point by a thin leader line, so no two labels overlap.
    """
    paired = [c for c in compared if c.state is not None and c.state.rank and c.category.rank]
    if not paired:
        return None
    places = max(max(c.state.rank for c in paired), max(c.category.rank for c in paired))
    # Rows tall enough for a label of two lines, so wrapped names still sit by their point.
    two_lines = 2 * SLOPE_SIZE * LINE_HEIGHT + 4
    wraps = any(
        len(wrap(f"{places}. {c.category.name}", SLOPE_LABEL, SLOPE_SIZE)) > 1 for c in paired
    )
    row = max(SLOPE_ROW, two_lines) if wraps else SLOPE_ROW

    def point(rank: int) -> float:
        return SLOPE_TOP + 8 + (rank - 1) * row

    shapes: list[Rect | Segment | Dot] = []
    for c in paired:
        colour = BAR if (c.moved or 0) > 0 else (SAME if not c.moved else DOWN)
        y1, y2 = point(c.state.rank), point(c.category.rank)
        shapes += [
            Segment(SLOPE_LEFT, y1, SLOPE_RIGHT, y2, colour, 2.5),
            Dot(SLOPE_LEFT, y1, 4, colour),
            Dot(SLOPE_RIGHT, y2, 4, colour),
        ]
    texts = [
        text_box(heading, x=x, y=8, size=SLOPE_SIZE + 1, max_width=160, anchor="middle", bold=True)
        for heading, x in ((_("State rank"), SLOPE_LEFT), (_("Local rank"), SLOPE_RIGHT))
    ]
    left = sorted((c.state.rank, c.state.name) for c in paired)
    right = sorted((c.category.rank, c.category.name) for c in paired)
    bottom = point(places) + row / 2
    for side, entries in (("end", left), ("start", right)):
        column_x = SLOPE_LEFT - 12 if side == "end" else SLOPE_RIGHT + 12
        boxes, leaders = _slope_labels(entries, column_x, side, point)
        texts += boxes
        shapes = leaders + shapes
        bottom = max(bottom, *(b.y + b.height for b in boxes))
    return Chart(SLOPE_WIDTH, round(bottom + 8), tuple(shapes), tuple(texts))


def _slope_labels(entries, column_x: float, anchor: str, point):
    width = (SLOPE_LEFT if anchor == "end" else SLOPE_WIDTH - SLOPE_RIGHT) - 24
    boxes = [
        text_box(
            f"{rank}. {name}", x=column_x, y=0, size=SLOPE_SIZE, max_width=width, anchor=anchor
        )
        for rank, name in entries
    ]
    wanted = [point(rank) for rank, _name in entries]
    tops = spread(wanted, [b.height for b in boxes], gap=3, top=SLOPE_TOP - 6)
    placed = [replace(b, y=top) for b, top in zip(boxes, tops, strict=True)]
    leaders = []
    dot_x = SLOPE_LEFT if anchor == "end" else SLOPE_RIGHT
    for box, want in zip(placed, wanted, strict=True):
        middle = box.y + box.height / 2
        if abs(middle - want) > 1:
            edge = box.x + box.width + 2 if anchor == "end" else box.x - 2
            leaders.append(Segment(edge, middle, dot_x, want, LEADER, 0.8))
    return placed, leaders


# --- The report's figures ---------------------------------------------------------------------


def _figure(key: str, chart: Chart | None, *, title: str, alt: str, caption: str):
    if chart is None:
        return None
    svg = chart_svg(chart, title=title, description=alt)
    return Figure(key, title, alt, caption, svg, chart.width, chart.height, chart)


def _votes_of(line: CategoryLine) -> str:
    return ngettext("%(name)s (%(n)d vote)", "%(name)s (%(n)d votes)", line.votes or 0) % {
        "name": line.name,
        "n": line.votes or 0,
    }


def _bars_alt(lines: list[CategoryLine], what: str) -> str:
    shown = [line for line in lines if not line.withheld]
    return _(
        "Bar chart of the votes per %(what)s, one bar per category in rank order, from "
        "%(first)s to %(last)s. The table gives every figure."
    ) % {"what": what, "first": _votes_of(shown[0]), "last": _votes_of(shown[-1])}


def _slope_alt(report: Report) -> str:
    overlap = report.concerns_overlap
    moved = "; ".join(
        _("%(name)s from state rank %(state)d to local rank %(local)d")
        % {"name": c.category.name, "state": c.state.rank, "local": c.category.rank}
        for c in (overlap.moved_most if overlap else ())
    )
    text = _(
        "Slope chart: for each area of concern, a line joins its state rank on the left to its "
        "local rank on the right."
    )
    if moved:
        text += " " + _("Moved most: %(moved)s.") % {"moved": moved}
    return text + " " + _("The table gives every rank.")


def report_figures(report: Report) -> list[Figure]:
    """The report's charts that exist for this report, in document order."""
    state = list(report.state_concerns)
    local = [c.category for c in report.local_benefits]
    overlap = report.concerns_overlap
    slope = rank_slope(list(report.local_concerns)) if overlap and overlap.pairs > 1 else None
    figures = [
        _figure(
            "state_concerns",
            vote_bars(state) if report.state_workshop else None,
            title=_("Votes per area of concern, state agency workshop"),
            alt=_bars_alt(state, _("area of concern at the state agency workshop"))
            if any(not line.withheld for line in state)
            else "",
            caption=_(
                "Votes per area of concern at the state agency workshop (the table above gives "
                "the same figures)."
            ),
        ),
        _figure(
            "local_benefits",
            vote_bars(local) if report.local_workshop else None,
            title=_("Votes per benefit, local government workshop"),
            alt=_bars_alt(local, _("benefit at the local government workshop"))
            if any(not line.withheld for line in local)
            else "",
            caption=_(
                "Votes per benefit at the local government workshop (the table above gives the "
                "same figures)."
            ),
        ),
        _figure(
            "slope",
            slope,
            title=_("State rank against local rank for each area of concern"),
            alt=_slope_alt(report) if slope else "",
            caption=_(
                "State rank (left) joined to local rank (right) for each area of concern; the "
                "table above gives the same ranks."
            ),
        ),
    ]
    return [figure for figure in figures if figure is not None]
