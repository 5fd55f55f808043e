"""Clustering suggestions for a CSV file, offline: the same engine as the clustering page
(responses/suggest/engine.py), for trying it on past workshops' cards or measuring it."""

import csv
import io
import json
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from responses.suggest import engine

MAX_BYTES = 5 * 1024 * 1024
MAX_ROWS = 5000
MAX_GROUPS = 200


class Command(BaseCommand):
    help = (
        "Suggest categories for the cards of a CSV file (UTF-8, at most 5 MB and 5,000 rows): "
        "a 'text' column, and an optional 'category' column. Rows with a category are "
        "examples; each row without one gets up to three categories, best first. With no "
        "examples at all, the rows are proposed in groups instead. Rows are numbered from 1, "
        "the first row after the header."
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument("--input", required=True, help="the CSV file to read")
        parser.add_argument("--output", required=True, help="the JSON file to write")
        parser.add_argument(
            "--groups",
            type=int,
            default=None,
            help="with no examples: propose this many groups (default: chosen automatically)",
        )
        parser.add_argument(
            "--method",
            choices=engine.METHODS,
            default=engine.DEFAULT_METHOD,
            help=f"how texts are compared (default: {engine.DEFAULT_METHOD})",
        )

    def handle(self, *args, input: str, output: str, groups, method: str, **options) -> None:
        if groups is not None and not 1 <= groups <= MAX_GROUPS:
            raise CommandError(f"--groups must be from 1 to {MAX_GROUPS}.")
        rows = _rows(Path(input))
        examples = [(row, text, category) for row, text, category in rows if category]
        todo = [(row, text) for row, text, category in rows if not category]
        if examples:
            answers = engine.suggest(
                [text for _row, text in todo],
                [(text, category) for _row, text, category in examples],
                labels=[(c, c) for c in dict.fromkeys(c for *_rest, c in examples)],
                method=method,
            )
            result = {
                "suggestions": [
                    {
                        "row": row,
                        "text": text,
                        "categories": [{"name": s.label, "score": s.score} for s in answer],
                    }
                    for (row, text), answer in zip(todo, answers, strict=True)
                ]
            }
        else:
            found = engine.propose_groups(
                [text for _row, text in todo], groups=groups, method=method
            )
            result = {"groups": [{"rows": [todo[i][0] for i in members]} for members in found]}
        try:
            Path(output).write_text(json.dumps(result, ensure_ascii=False, indent=2) + "\n")
        except OSError as error:
            raise CommandError(f"Cannot write {output}: {error.strerror}.") from None
        made = len(result.get("suggestions", result.get("groups", [])))
        kind = "suggestions" if examples else "groups"
        self.stdout.write(f"{made} {kind} written to {output}.")


def _rows(path: Path) -> list[tuple[int, str, str]]:
    """``(row number from 1, text, category)`` for each row with a text."""
    try:
        with path.open("rb") as file:
            content = file.read(MAX_BYTES + 1)
    except OSError as error:
        raise CommandError(f"Cannot read {path}: {error.strerror}.") from None
    if len(content) > MAX_BYTES:
        raise CommandError(f"{path} is larger than {MAX_BYTES // (1024 * 1024)} MB.")
    try:
        text = content.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise CommandError(f"{path} is not UTF-8 text; save it as CSV UTF-8.") from None
    reader = csv.DictReader(io.StringIO(text, newline=""))
    fields = [(name or "").strip().casefold() for name in reader.fieldnames or []]
    if "text" not in fields:
        raise CommandError(f"{path} has no 'text' column in its first row.")
    reader.fieldnames = fields
    rows = []
    try:
        for number, row in enumerate(reader, start=1):
            if number > MAX_ROWS:
                raise CommandError(f"{path} has more than {MAX_ROWS} rows.")
            card = " ".join((row.get("text") or "").split())
            if card:
                rows.append((number, card[:1000], " ".join((row.get("category") or "").split())))
    except csv.Error as error:
        raise CommandError(f"{path} is not a readable CSV file: {error}.") from None
    if not rows:
        raise CommandError(f"{path} has no row with a text.")
    return rows
