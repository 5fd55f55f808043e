"""The staff-written narrative: Markdown in, sanitised HTML out."""

import markdown
import nh3
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext_lazy as _

# The report's narrative sections, in the order they appear.
SECTIONS = [
    ("abstract", _("Abstract")),
    ("introduction", _("Introduction")),
    ("project_overview", _("Project overview")),
    ("project_design", _("Project design")),
    ("workshops_framing", _("Government professional workshops")),
    ("concluding_remarks", _("Concluding remarks")),
    ("appendix_c", _("Appendix C: Project description")),
]

ALLOWED_TAGS = {
    "p", "br", "strong", "em", "b", "i", "ul", "ol", "li", "a", "blockquote", "code", "pre",
    "h3", "h4", "h5", "table", "thead", "tbody", "tr", "th", "td", "hr", "sup", "sub",
}  # fmt: skip


def markdown_to_html(text: str) -> SafeString:
    """Render Markdown and keep only harmless markup: no script, no style, no event handlers,
    links only to http(s) and mailto. Headings start at level 3 (the report owns 1 and 2)."""
    html = markdown.markdown(text or "", extensions=["tables", "sane_lists"], output_format="html")
    html = html.replace("<h1>", "<h3>").replace("</h1>", "</h3>")
    html = html.replace("<h2>", "<h4>").replace("</h2>", "</h4>")
    clean = nh3.clean(
        html,
        tags=ALLOWED_TAGS,
        attributes={"a": {"href", "title"}, "th": {"scope"}},
        url_schemes={"http", "https", "mailto"},
        link_rel="noopener noreferrer",
    )
    # Safe because nh3 has just removed everything outside the allow-list above.
    return mark_safe(clean)  # noqa: S308
