"""Normalising what participants type, before it is validated and stored."""

import re
import unicodedata

_EXCESS_BLANK_LINES = re.compile(r"\n{3,}")
_LINE_END_SPACE = re.compile(r"[ \t]+\n")
_LINE_BREAKS = str.maketrans({"\r": "\n", "\u2028": "\n", "\u2029": "\n", "\t": " "})
# Control, format and surrogate characters carry nothing a card needs, and some (NUL, escape
# sequences, bidirectional overrides) can corrupt a log or disguise text. The zero-width joiner
# is kept: many emoji are built with it.
_DROPPED_CATEGORIES = {"Cc", "Cf", "Cs"}
_KEPT = {"\n", "\u200d"}


def normalise_statement_text(text: str) -> str:
    """Tidy a card's text without changing what it says. Idempotent.

    Line endings become "\\n" and tabs spaces; control and format characters go; Unicode is
    composed (NFC) so equal-looking text compares equal; trailing spaces on a line and more than
    one blank line in a row go; the whole is stripped.
    """
    text = text.replace("\r\n", "\n").translate(_LINE_BREAKS)
    text = "".join(
        char
        for char in text
        if char in _KEPT or unicodedata.category(char) not in _DROPPED_CATEGORIES
    )
    text = unicodedata.normalize("NFC", text)
    text = _LINE_END_SPACE.sub("\n", text)
    text = _EXCESS_BLANK_LINES.sub("\n\n", text)
    return text.strip()


# "(E)" or "(I)" at the very end of a card, in any case, with or without spaces inside or
# before the brackets: how people mark external or internal use on paper and on a phone alike.
_TRAILING_USE_MARK = re.compile(r"\s*\(\s*([EI])\s*\)\s*\Z", re.IGNORECASE)


def split_use_mark(text: str) -> tuple[str, str]:
    """'Reach more residents (E)' -> ('Reach more residents', 'E'), as written on cards.

    Text without a trailing mark comes back unchanged, with the mark "".
    """
    found = _TRAILING_USE_MARK.search(text)
    if found is None:
        return text, ""
    return text[: found.start()].rstrip(), found.group(1).upper()
