"""Writing a benchmark's figures into docs/performance.md, between its markers.

Each benchmark owns one section, ``<!-- name:start -->`` … ``<!-- name:end -->``; a run
replaces what is between them and leaves the rest of the document alone. A section not there
yet is added at the end, under ``heading``.
"""

from __future__ import annotations

from pathlib import Path

DOC = Path(__file__).resolve().parent.parent / "docs" / "performance.md"


def doc_section_write(name: str, text: str, *, heading: str, doc: Path = DOC) -> None:
    start, end = f"<!-- {name}:start -->", f"<!-- {name}:end -->"
    current = doc.read_text()
    block = f"{start}\n{text}\n{end}"
    if start in current:
        head, rest = current.split(start, 1)
        doc.write_text(head + block + rest.split(end, 1)[1])
    else:
        doc.write_text(current.rstrip("\n") + f"\n\n## {heading}\n\n" + block + "\n")
