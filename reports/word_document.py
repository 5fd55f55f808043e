"""A Word document's furniture, for reports.word: headings that feed the contents field,
paragraphs and lists, captioned tables, figures with alternative text, and the narrative's
Markdown. Nothing here knows the report; reports.word decides what goes in. The page, styles,
properties and fields are reports.word_styles.
"""

import io
import re
from dataclasses import dataclass, field

from docx import Document
from docx.enum.text import WD_ALIGN_PARAGRAPH, WD_BREAK
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from lxml import etree

from reports.word_styles import (
    CONTENTS_CODE,
    CONTENTS_LEVELS,
    TABLE_STYLE,
    TEXT_WIDTH,
    Properties,
    document_setup,
    field_begin,
    field_end,
    text_run,
    xml_safe,
)

# Characters of 10-point table text across the text width (a wide font such as DejaVu Serif,
# LibreOffice's stand-in for Cambria), for sharing the width between columns.
_TABLE_CHARS = 84
# A table of up to about this many lines is kept on one page (with its caption); a longer one
# flows on, its header row repeated.
_KEEP_TOGETHER_LINES = 14


@dataclass
class _Entry:
    level: int
    text: str
    bookmark: str


@dataclass
class WordDocument:
    """A python-docx document with the report's styles, and the headings for its contents."""

    document: object
    entries: list[_Entry] = field(default_factory=list)
    contents_anchor: object = None
    # Style ids by name: python-docx looks a style's name up among all the styles on every
    # use, which was half the time of a report.
    style_ids: dict[str, str] = field(default_factory=dict)

    def style_id(self, name: str) -> str:
        if name not in self.style_ids:
            self.style_ids[name] = self.document.styles[name].style_id
        return self.style_ids[name]

    def add_paragraph(self, style: str | None = None):
        paragraph = self.document.add_paragraph()
        if style:
            paragraph._p.get_or_add_pPr().style = self.style_id(style)
        return paragraph

    # --- text ------------------------------------------------------------------------------

    def heading(self, text: str, level: int, *, new_page: bool = False):
        paragraph = self.add_paragraph("Title" if level == 0 else f"Heading {level}")
        paragraph.add_run(xml_safe(text))
        paragraph.paragraph_format.page_break_before = new_page or None
        if 1 <= level <= CONTENTS_LEVELS:
            entry = _Entry(level, xml_safe(text), f"_Toc{len(self.entries) + 1:04d}")
            _bookmark(paragraph, entry.bookmark, len(self.entries) + 1)
            self.entries.append(entry)
        return paragraph

    def paragraph(
        self, text: str = "", style: str | None = None, *, label: str = "", markdown=False
    ):
        """A paragraph, the text as written (``markdown``: its bold, italic and links too);
        ``label`` comes first, in bold ("Date: …")."""
        paragraph = self.add_paragraph(style)
        if label:
            paragraph.add_run(xml_safe(label)).bold = True
            if text:
                paragraph.add_run(" ")
        if markdown:
            _inline(paragraph, text)
        elif text:
            paragraph.add_run(xml_safe(text))
        return paragraph

    def numbered(self, items: list[tuple[str, str]], *, markdown=False) -> None:
        """A numbered list of (bold label, text), starting at 1 (python-docx's "List Number"
        paragraphs would run on from the previous list)."""
        number = _list_restart(self.document)
        for label, text in items:
            paragraph = self.paragraph(text, "List Number", label=label, markdown=markdown)
            num_pr = paragraph._p.get_or_add_pPr().get_or_add_numPr()
            num_pr.get_or_add_ilvl().val = 0
            num_pr.get_or_add_numId().val = number

    def bullets(self, items: list[str], *, markdown=False) -> None:
        for item in items:
            self.paragraph(item, "List Bullet", markdown=markdown)

    def page_break(self) -> None:
        self.add_paragraph().add_run().add_break(WD_BREAK.PAGE)

    def markdown(self, text: str, *, level: int) -> None:
        """The narrative's Markdown: paragraphs, lists, headings below ``level``, bold, italic."""
        for block in re.split(r"\n\s*\n", text.strip()) if text.strip() else []:
            lines = block.splitlines()
            if all(_BULLET.match(line) for line in lines):
                self.bullets([_BULLET.sub("", line) for line in lines], markdown=True)
            elif all(_NUMBERED.match(line) for line in lines):
                self.numbered([("", _NUMBERED.sub("", line)) for line in lines], markdown=True)
            elif heading := _HEADING.match(lines[0]):
                depth = min(level + len(heading.group(1)), 9)
                self.heading(_EMPHASIS_MARK.sub("", _HEADING.sub("", lines[0])), depth)
                if lines[1:]:
                    self.paragraph(" ".join(lines[1:]).strip(), markdown=True)
            else:
                self.paragraph(" ".join(line.strip() for line in lines), markdown=True)

    # --- tables and figures ------------------------------------------------------------------

    def table(self, caption: str, headers, rows, *, right=(), note: str = "") -> None:
        """A captioned table: its header row repeats on every page, no row splits across
        pages, numbers (columns flagged in ``right``) sit on the right, the note below."""
        self.paragraph(caption, style="Caption").paragraph_format.keep_with_next = True
        grid = self.document.add_table(rows=1 + len(rows), cols=len(headers))
        grid.style = TABLE_STYLE
        grid.autofit = False
        _table_look(grid)
        widths = _column_widths([headers, *rows])
        text_style = self.style_id("Table Text")
        for index, width in enumerate(widths):
            grid.columns[index].width = width
        for row, values in zip(grid.rows, [headers, *rows], strict=True):
            row_pr = row._tr.get_or_add_trPr()
            row_pr.append(OxmlElement("w:cantSplit"))
            for index, (cell, value) in enumerate(zip(row.cells, values, strict=True)):
                cell.width = widths[index]
                paragraph = cell.paragraphs[0]
                paragraph._p.get_or_add_pPr().style = text_style
                paragraph.add_run(xml_safe(value))
                if index < len(right) and right[index]:
                    paragraph.alignment = WD_ALIGN_PARAGRAPH.RIGHT
        grid.rows[0]._tr.get_or_add_trPr().append(OxmlElement("w:tblHeader"))
        if _lines([headers, *rows], widths) <= _KEEP_TOGETHER_LINES:
            for row in grid.rows[:-1]:
                for cell in row.cells:
                    cell.paragraphs[0].paragraph_format.keep_with_next = True
        if note:
            self.paragraph(note, style="Table Note")
        else:
            self.add_paragraph("Table Note")  # space after the table

    def figure(self, png: bytes, *, title: str, alt: str, caption: str) -> None:
        """A picture at most the text's width, with alternative text, then its caption."""
        self.add_paragraph("Figure").add_run().add_picture(io.BytesIO(png), width=TEXT_WIDTH)
        inline = self.document.paragraphs[-1]._p.xpath(".//wp:inline")[0]
        inline.docPr.set("title", xml_safe(title))
        inline.docPr.set("descr", xml_safe(alt))
        self.paragraph(caption, style="Caption")

    # --- contents ----------------------------------------------------------------------------

    def contents_here(self, title: str) -> None:
        """Where the contents go; written by ``contents_fill`` once every heading is known."""
        self.add_paragraph("TOC Heading").add_run(xml_safe(title))
        self.contents_anchor = self.add_paragraph("TOC 1")

    def contents_fill(self) -> None:
        """The contents: a TOC field whose last result already lists every section.

        Word updates it like any contents (right-click, Update Field), adding page numbers;
        LibreOffice, which does not update a contents when it opens or converts a file, shows
        the result as written. Each entry links to a bookmark on its heading. The result has
        no page numbers of its own: they are known only once a program lays out the pages,
        and a wrong number would be worse than none.
        """
        anchor = self.contents_anchor._p
        paragraphs = [anchor]
        for entry in self.entries[1:]:
            paragraph = OxmlElement("w:p")
            paragraph.append(_paragraph_style(f"TOC{entry.level}"))
            paragraphs[-1].addnext(paragraph)
            paragraphs.append(paragraph)
        field_begin(anchor, CONTENTS_CODE)
        for paragraph, entry in zip(paragraphs, self.entries, strict=False):
            link = etree.SubElement(paragraph, qn("w:hyperlink"))
            link.set(qn("w:anchor"), entry.bookmark)
            link.set(qn("w:history"), "1")
            text_run(link, entry.text)
        field_end(paragraphs[-1])

    def save(self) -> bytes:
        buffer = io.BytesIO()
        self.document.save(buffer)
        return buffer.getvalue()


def document_new(properties: Properties) -> WordDocument:
    document = Document()
    document_setup(document, properties)
    return WordDocument(document)


# --- bookmarks, lists --------------------------------------------------------------------


def _bookmark(paragraph, name: str, number: int) -> None:
    start = OxmlElement("w:bookmarkStart")
    start.set(qn("w:id"), str(number))
    start.set(qn("w:name"), name)
    end = OxmlElement("w:bookmarkEnd")
    end.set(qn("w:id"), str(number))
    paragraph._p.insert(1 if paragraph._p.pPr is not None else 0, start)
    paragraph._p.append(end)


def _paragraph_style(style_id: str):
    properties = OxmlElement("w:pPr")
    style = OxmlElement("w:pStyle")
    style.set(qn("w:val"), style_id)
    properties.append(style)
    return properties


def _list_restart(document) -> int:
    """A new numbering instance of the "List Number" style's list, starting again at 1."""
    numbering = document.part.numbering_part.element
    style = document.styles["List Number"].element
    style_num = style.pPr.numPr.numId.val
    abstract = numbering.num_having_numId(style_num).abstractNumId.val
    num = numbering.add_num(abstract)
    num.add_lvlOverride(ilvl=0).add_startOverride(1)
    return num.numId


# --- tables ---------------------------------------------------------------------------------


def _table_look(grid) -> None:
    """The style's header row and banded rows, without a bold first column."""
    look = grid._tbl.tblPr.find(qn("w:tblLook"))
    for name, value in (("firstRow", "1"), ("firstColumn", "0"), ("noHBand", "0")):
        look.set(qn(f"w:{name}"), value)
    look.set(qn("w:val"), "0420")


def _lines(rows, widths) -> int:
    """Roughly how many lines a table takes: each row as tall as its fullest cell."""
    room = [max(1, int(_TABLE_CHARS * width / TEXT_WIDTH) - 2) for width in widths]
    return sum(
        max(-(-len(value) // chars) for value, chars in zip(row, room, strict=True)) for row in rows
    )


_BREAKS = re.compile(r"[ \t\n-]+")  # where a line may break (not at a no-break space)


def _column_widths(rows) -> list:
    """The text width shared between the columns: each at least its longest word (so that
    figures and dates never break), the rest by how much each column holds."""
    columns = list(zip(*rows, strict=True))
    least = [max(map(len, _BREAKS.split(" ".join(column)))) + 3 for column in columns]
    most = [min(max(len(v) for v in column), 60) + 3 for column in columns]
    most = [max(m, n) for m, n in zip(most, least, strict=True)]
    spare = _TABLE_CHARS - sum(least)
    if spare <= 0:
        shares = least
    elif sum(most) <= _TABLE_CHARS:
        shares = [m * _TABLE_CHARS / sum(most) for m in most]
    else:
        wanted = sum(m - n for m, n in zip(most, least, strict=True))
        shares = [n + spare * (m - n) / wanted for m, n in zip(most, least, strict=True)]
    total = sum(shares)
    return [int(TEXT_WIDTH * share / total) for share in shares]


# --- Markdown -------------------------------------------------------------------------------

_BULLET = re.compile(r"^\s*[-*+]\s+")
_NUMBERED = re.compile(r"^\s*\d+[.)]\s+")
_HEADING = re.compile(r"^(#{1,6})\s+")
_LINK = re.compile(r"\[([^\]]+)\]\(([^)\s]+)\)")
_EMPHASIS = re.compile(
    r"(\*\*[^*]+\*\*|__[^_]+__|\*[^*\s][^*]*\*|(?<!\w)_[^_\s][^_]*_(?!\w)|`[^`]+`)"
)
_EMPHASIS_MARK = re.compile(r"(\*\*|__|\*|`)")


def _inline(paragraph, text: str) -> None:
    """Runs for Markdown's bold, italic and code; a link as its text and address."""
    text = _LINK.sub(r"\1 (\2)", text)
    for piece in _EMPHASIS.split(text):
        if not piece:
            continue
        if piece.startswith(("**", "__")) and len(piece) > 4:
            paragraph.add_run(xml_safe(piece[2:-2])).bold = True
        elif piece.startswith(("*", "_")) and len(piece) > 2 and piece[-1] == piece[0]:
            paragraph.add_run(xml_safe(piece[1:-1])).italic = True
        elif piece.startswith("`") and len(piece) > 2:
            paragraph.add_run(xml_safe(piece[1:-1])).font.name = "Courier New"
        else:
            paragraph.add_run(xml_safe(piece))
