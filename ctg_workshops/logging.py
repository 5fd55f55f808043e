"""Log records on one line each, whatever they carry.

A participant's text never goes into a log on purpose, but a URL, a header or an exception
message might hold text someone typed. Newlines and other control characters are escaped, so no
input can forge a log line or smuggle terminal escape sequences into an operator's console.
"""

import logging

_ESCAPES = {ord("\n"): "\\n", ord("\r"): "\\r", ord("\t"): "\\t"}


def _escape(text: str) -> str:
    text = text.translate(_ESCAPES)
    return "".join(f"\\x{ord(c):02x}" if ord(c) < 32 or ord(c) == 127 else c for c in text)


class SingleLineFormatter(logging.Formatter):
    """One record, one line. A traceback is kept whole but on the same line ("\\n" between its
    lines): its last line quotes the exception message, which may hold input."""

    def format(self, record: logging.LogRecord) -> str:
        return _escape(super().format(record))
