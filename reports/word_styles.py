"""The Word file's page, styles, document properties and fields, for reports.word_document.

Every field code is one of the fixed codes in ``_FIELD_CODE`` (the contents, the page number,
the number of pages), so no field ever takes text from the records: Word runs no formula from
text, only from field codes.
"""

import datetime as dt
import re
from dataclasses import dataclass

from django.utils.translation import gettext as _
from docx.enum.section import WD_ORIENT
from docx.enum.style import WD_STYLE_TYPE
from docx.enum.text import WD_ALIGN_PARAGRAPH, WD_TAB_ALIGNMENT, WD_TAB_LEADER
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.shared import Inches, Pt, RGBColor
from lxml import etree

from sessions.text import strip_control_characters

PAGE_WIDTH, PAGE_HEIGHT, MARGIN = Inches(8.5), Inches(11), Inches(1)
TEXT_WIDTH = PAGE_WIDTH - 2 * MARGIN
TABLE_STYLE = "Report Table"
INK, RULE, BAND = "1F3A5F", "A6A6A6", "EEF2F7"
# Headings down to this level are listed in the contents (the sections, as on the web page);
# Word's navigation pane shows every level.
CONTENTS_LEVELS = 1
CONTENTS_CODE = f'TOC \\o "1-{CONTENTS_LEVELS}" \\h \\z \\u'
_FIELD_CODE = re.compile("|".join(("PAGE", "NUMPAGES", re.escape(CONTENTS_CODE))))
_APP_PROPERTIES = "application/vnd.openxmlformats-officedocument.extended-properties+xml"
_THUMBNAIL = "http://schemas.openxmlformats.org/package/2006/relationships/metadata/thumbnail"


def xml_safe(text: str) -> str:
    """Text for a Word document: without the characters an Office file cannot store.

    Word runs no formula from text (only from field codes, which these documents never take
    from the records), so a statement keeps its leading "-" or "=" as written.
    """
    return strip_control_characters(text)


@dataclass(frozen=True)
class Properties:
    title: str
    subject: str
    organisation: str
    language: str  # a BCP 47 tag, "en-US"
    created: dt.datetime


def document_setup(document, properties: Properties) -> None:
    """A new python-docx document made the report's: page, styles, properties, page numbers."""
    _page_setup(document)
    _styles(document, properties.language)
    _core_properties(document, properties)
    _app_properties(document, properties.organisation)
    _page_numbers(document.sections[0])


# --- the page, styles, properties -----------------------------------------------------------


def _page_setup(document) -> None:
    section = document.sections[0]
    section.orientation = WD_ORIENT.PORTRAIT
    section.page_width, section.page_height = PAGE_WIDTH, PAGE_HEIGHT
    for side in ("left", "right", "top", "bottom"):
        setattr(section, f"{side}_margin", MARGIN)


def _styles(document, language: str) -> None:
    styles = document.styles
    for name in ("Normal", "Title", "Heading 1", "Heading 2", "Heading 3", "Caption"):
        _style_language(styles[name].element, language)
    _style_language(_defaults_run_properties(styles), language)
    styles["Normal"].font.size = Pt(11)
    styles["Normal"].paragraph_format.space_after = Pt(6)
    styles["Heading 1"].paragraph_format.page_break_before = False
    caption = styles["Caption"]
    caption.font.size, caption.font.italic = Pt(10), False
    caption.font.color.rgb = RGBColor.from_string(INK)
    caption.paragraph_format.space_before, caption.paragraph_format.space_after = Pt(6), Pt(3)
    for name, size, before, after in (
        ("Table Note", 9, 3, 9),
        ("Figure", 11, 6, 3),
        ("Table Text", 10, 0, 0),
    ):
        style = styles.add_style(name, WD_STYLE_TYPE.PARAGRAPH)
        style.base_style = styles["Normal"]
        style.font.size = Pt(size)
        style.paragraph_format.space_before = Pt(before)
        style.paragraph_format.space_after = Pt(after)
    styles["Figure"].paragraph_format.keep_with_next = True
    styles.element.append(etree.fromstring(_TABLE_STYLE_XML))
    for level in (1, 2, 3):
        style = styles.add_style(f"TOC {level}", WD_STYLE_TYPE.PARAGRAPH)
        style.base_style = styles["Normal"]
        style.paragraph_format.left_indent = Inches(0.25 * (level - 1))
        style.paragraph_format.space_after = Pt(4)
        style.paragraph_format.tab_stops.add_tab_stop(
            TEXT_WIDTH, WD_TAB_ALIGNMENT.RIGHT, WD_TAB_LEADER.DOTS
        )


# A table style that reads well in Word and LibreOffice alike: a dark header row (repeated on
# every page), light rules between rows, banded rows, no vertical lines.
_TABLE_STYLE_XML = f"""
<w:style xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main"
    w:type="table" w:customStyle="1" w:styleId="ReportTable">
  <w:name w:val="{TABLE_STYLE}"/>
  <w:basedOn w:val="TableNormal"/>
  <w:uiPriority w:val="59"/>
  <w:pPr><w:spacing w:before="0" w:after="0" w:line="240" w:lineRule="auto"/></w:pPr>
  <w:rPr><w:sz w:val="20"/><w:szCs w:val="20"/></w:rPr>
  <w:tblPr>
    <w:tblStyleRowBandSize w:val="1"/>
    <w:tblBorders>
      <w:top w:val="single" w:sz="8" w:space="0" w:color="{INK}"/>
      <w:bottom w:val="single" w:sz="8" w:space="0" w:color="{INK}"/>
      <w:insideH w:val="single" w:sz="4" w:space="0" w:color="{RULE}"/>
    </w:tblBorders>
    <w:tblCellMar>
      <w:top w:w="43" w:type="dxa"/><w:left w:w="86" w:type="dxa"/>
      <w:bottom w:w="43" w:type="dxa"/><w:right w:w="86" w:type="dxa"/>
    </w:tblCellMar>
  </w:tblPr>
  <w:tblStylePr w:type="firstRow">
    <w:rPr><w:b/><w:bCs/><w:color w:val="FFFFFF"/></w:rPr>
    <w:tcPr><w:shd w:val="clear" w:color="auto" w:fill="{INK}"/></w:tcPr>
  </w:tblStylePr>
  <w:tblStylePr w:type="band2Horz">
    <w:tcPr><w:shd w:val="clear" w:color="auto" w:fill="{BAND}"/></w:tcPr>
  </w:tblStylePr>
</w:style>
"""


def _defaults_run_properties(styles):
    defaults = styles.element.find(qn("w:docDefaults"))
    run_defaults = defaults.find(qn("w:rPrDefault"))
    if run_defaults is None:
        run_defaults = etree.SubElement(defaults, qn("w:rPrDefault"))
    properties = run_defaults.find(qn("w:rPr"))
    if properties is None:
        properties = etree.SubElement(run_defaults, qn("w:rPr"))
    return properties


def _style_language(element, language: str) -> None:
    """w:lang on a style's (or the defaults') run properties: spelling and hyphenation."""
    properties = element if element.tag == qn("w:rPr") else element.get_or_add_rPr()
    lang = properties.find(qn("w:lang"))
    if lang is None:
        lang = etree.SubElement(properties, qn("w:lang"))
    for name in ("w:val", "w:eastAsia", "w:bidi"):
        lang.set(qn(name), language)


def _core_properties(document, properties: Properties) -> None:
    core = document.core_properties
    core.title = xml_safe(properties.title)
    core.subject = xml_safe(properties.subject)
    core.author = core.last_modified_by = xml_safe(properties.organisation)
    core.comments = core.keywords = core.category = ""
    core.language = properties.language
    core.revision = 1
    # python-docx writes the time as UTC ("Z") without converting it.
    when = properties.created.astimezone(dt.UTC).replace(tzinfo=None)
    core.created = core.modified = when


def _app_properties(document, organisation: str) -> None:
    """docProps/app.xml: the company, and no "Microsoft Macintosh Word" from the template."""
    package = document.part.package
    for part in package.iter_parts():
        if part.content_type == _APP_PROPERTIES:
            root = etree.fromstring(part.blob)
            for child in root:
                name = etree.QName(child).localname
                if name == "Company":
                    child.text = xml_safe(organisation)
                elif name == "Application":
                    child.text = "CTG Workshops"
            part._blob = etree.tostring(root, xml_declaration=True, standalone=True)
    # The template's thumbnail is a picture of an empty page.
    for rel_id, rel in list(package.rels.items()):
        if rel.reltype == _THUMBNAIL:
            package.rels.pop(rel_id)


def _page_numbers(section) -> None:
    """ "Page 3 of 12" in the footer of every page but the cover (a different first page)."""
    section.different_first_page_header_footer = True
    paragraph = section.footer.paragraphs[0]
    paragraph.alignment = WD_ALIGN_PARAGRAPH.CENTER
    template = _("Page %(page)s of %(pages)s")
    for piece in re.split(r"(%\(page\)s|%\(pages\)s)", template):
        if piece == "%(page)s":
            _field(paragraph._p, "PAGE", "1")
        elif piece == "%(pages)s":
            _field(paragraph._p, "NUMPAGES", "1")
        elif piece:
            text_run(paragraph._p, piece)


# --- fields, bookmarks, runs ----------------------------------------------------------------


def _run(*children):
    run = OxmlElement("w:r")
    for child in children:
        run.append(child)
    return run


def text_run(parent, text: str) -> None:
    element = OxmlElement("w:t")
    element.set(qn("xml:space"), "preserve")
    element.text = xml_safe(text)
    parent.append(_run(element))


def field_begin(parent, code: str) -> None:
    if not _FIELD_CODE.fullmatch(code):
        raise ValueError(f"not one of this module's field codes: {code!r}")
    begin = OxmlElement("w:fldChar")
    begin.set(qn("w:fldCharType"), "begin")
    instruction = OxmlElement("w:instrText")
    instruction.set(qn("xml:space"), "preserve")
    instruction.text = f" {code} "
    separate = OxmlElement("w:fldChar")
    separate.set(qn("w:fldCharType"), "separate")
    for child in (begin, instruction, separate):
        parent.append(_run(child))


def field_end(parent) -> None:
    end = OxmlElement("w:fldChar")
    end.set(qn("w:fldCharType"), "end")
    parent.append(_run(end))


def _field(parent, code: str, result: str) -> None:
    """A complex field with its last result (shown until the program updates it)."""
    field_begin(parent, code)
    text_run(parent, result)
    field_end(parent)
