"""Bounding the pieces of an XML file before a parser sees them (``BoundedMarkup``).

expat's time on a single tag, comment or reference grows with the square of its length, so a
few megabytes of one attribute cost seconds; the records reader feeds every sheet through this
scanner, which refuses any such piece past a limit while passing the bytes through unchanged.
"""

import re
from typing import IO


class MarkupTooLong(Exception):
    """A tag, comment, processing instruction or reference is longer than allowed."""


# Where ``BoundedMarkup`` is in the XML: in text, or in a piece of markup of some kind.
_TEXT, _OPENED, _TAG, _QUOTED, _COMMENT, _INSTRUCTION, _CDATA, _REFERENCE = range(8)
# Where a piece of markup ends, by its kind; a tag ends at a ">" outside quotes.
_ENDS = {_COMMENT: b"-->", _INSTRUCTION: b"?>", _CDATA: b"]]>", _REFERENCE: b";"}
_TEXT_MARK = re.compile(rb"[<&]")
# Text, and tags and references that end within what was read: skipped in one step, as each
# is shorter than what was read. (Possessive, so that it takes time in proportion to the text.)
_COMPLETE = re.compile(
    rb"""(?:[^<&]*+(?:<[^>"'!?][^>"']*+(?:"[^"]*+"[^>"']*+|'[^']*+'[^>"']*+)*+>|&[^;<&]*+;))*+"""
    rb"[^<&]*+"
)
_TAG_MARK = re.compile(rb"[>\"']")


class BoundedMarkup:
    """A file of XML, read through as it is, that refuses one piece of markup past the limit.

    The bytes are scanned before the parser gets them: a tag (its attribute values may hold
    ">"), a comment, a processing instruction or an entity reference longer than
    ``max_bytes`` is refused with ``MarkupTooLong``. Text and CDATA sections, which expat
    reads in pieces, are not bounded here (their cells are, once read).
    """

    def __init__(self, source: IO[bytes], max_bytes: int) -> None:
        self.source = source
        self.max_bytes = max_bytes
        self.state = _TEXT
        self.quote = b""  # the quote an attribute value opened with, in _QUOTED
        self.opened = b""  # what follows "<" until its kind is known, in _OPENED
        self.tail = b""  # the last bytes read of a piece that ends in more than one
        self.length = 0  # bytes of the current piece of markup read so far

    def read(self, size: int = -1) -> bytes:
        data = self.source.read(size if 0 < size <= self.max_bytes else self.max_bytes)
        start = 0
        while start < len(data):
            if self.state == _TEXT:
                start = _COMPLETE.match(data, start).end()  # type: ignore[union-attr]
                if start == len(data):
                    break
            start = self._scan(data, start)
        if self.state not in (_TEXT, _CDATA) and self.length > self.max_bytes:
            raise MarkupTooLong
        return data

    def _scan(self, data: bytes, start: int) -> int:
        """Follow ``data`` from ``start`` as far as the current state goes; where it stops."""
        if self.state == _TEXT:
            found = _TEXT_MARK.search(data, start)
            if found is None:
                return len(data)
            self.length = 1
            if found.group() == b"&":
                self.state, self.tail = _REFERENCE, b""
            else:
                self.state, self.opened = _OPENED, b""
            return found.end()
        if self.state == _OPENED:  # "<" was read: a tag, "<?", "<!--" or "<![CDATA["
            self.opened += data[start : start + 1]
            self.length += 1
            opened = self.opened
            if opened == b"?":
                self.state, self.tail = _INSTRUCTION, b""
            elif opened == b"!--":
                self.state, self.tail = _COMMENT, b""
            elif opened == b"![CDATA[":
                self.state, self.tail = _CDATA, b""
            elif not (b"!--".startswith(opened) or b"![CDATA[".startswith(opened)):
                self.state = _TAG  # a tag, or a declaration such as <!DOCTYPE
                self.length -= 1
                return start  # its first byte is read again as part of the tag
            return start + 1
        if self.state == _TAG:
            found = _TAG_MARK.search(data, start)
            if found is None:
                self.length += len(data) - start
                return len(data)
            self.length += found.end() - start
            if found.group() == b">":
                self.state = _TEXT
            else:
                self.state, self.quote = _QUOTED, found.group()
            return found.end()
        if self.state == _QUOTED:
            end = data.find(self.quote, start)
            if end < 0:
                self.length += len(data) - start
                return len(data)
            self.length += end + 1 - start
            self.state = _TAG
            return end + 1
        # A piece that ends in a given string, which may be cut across two reads.
        ending = _ENDS[self.state]
        searched = self.tail + data[start:]
        end = searched.find(ending)
        if end < 0:
            self.length += len(data) - start
            self.tail = searched[-(len(ending) - 1) :] if len(ending) > 1 else b""
            return len(data)
        after = start + end + len(ending) - len(self.tail)
        self.length += after - start
        self.state = _TEXT
        return after
