"""The code stays readable at the scale of files and functions (STYLE.md, docs/architecture.md):
no module over 600 lines and no function over 80, outside migrations, tests and bench. The
declarative demo data is the one exception for functions: it is a list of records, not logic."""

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
APPS = ("ctg_workshops", "sessions", "responses", "reports")
MAX_MODULE_LINES = 600
MAX_FUNCTION_LINES = 80
# Data written as code: the sample workshops' statements, categories and notes.
DECLARATIVE = {"ctg_workshops/demo/data.py"}


def modules() -> list[Path]:
    return sorted(
        path
        for app in APPS
        for path in (ROOT / app).rglob("*.py")
        if "migrations" not in path.parts
    )


def test_no_module_is_over_600_lines():
    lines = {str(p.relative_to(ROOT)): len(p.read_text().splitlines()) for p in modules()}
    assert {name: n for name, n in lines.items() if n > MAX_MODULE_LINES} == {}


def test_no_function_is_over_80_lines():
    long = {}
    for path in modules():
        name = str(path.relative_to(ROOT))
        if name in DECLARATIVE:
            continue
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                length = node.end_lineno - node.lineno + 1
                if length > MAX_FUNCTION_LINES:
                    long[f"{name}:{node.lineno} {node.name}"] = length
    assert long == {}


def test_template_comments_close_on_their_own_line():
    """Django's ``{# … #}`` is one line only: one that runs on is shown to people as text (a
    participant's page once showed half a comment). Longer ones use ``{% comment %}``."""
    unclosed = [
        f"{path.relative_to(ROOT)}:{number}"
        for path in sorted((ROOT / "templates").rglob("*.html"))
        for number, line in enumerate(path.read_text().splitlines(), start=1)
        if line.count("{#") > line.count("#}")
    ]
    assert not unclosed
