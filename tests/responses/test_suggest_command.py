"""`manage.py suggest_categories`: suggestions when examples exist, groups when none do, and a
clear error for a file it cannot use."""

import json

import pytest
from django.core.management import CommandError, call_command

from responses.management.commands import suggest_categories


def run(tmp_path, content: bytes | str, *args):
    source, target = tmp_path / "cards.csv", tmp_path / "out.json"
    source.write_bytes(content.encode() if isinstance(content, str) else content)
    call_command("suggest_categories", "--input", str(source), "--output", str(target), *args)
    return json.loads(target.read_text())


EXAMPLES = (
    "text,category\n"
    "Hackers take over the account,Security\n"
    "Passwords shared by staff,Security\n"
    "No time to answer comments,Staff time\n"
    "Nobody monitors at weekends,Staff time\n"
    "Hackers post as the agency,\n"
    "Answering comments takes hours,\n"
)


def test_rows_without_a_category_get_up_to_three_suggestions(tmp_path):
    result = run(tmp_path, EXAMPLES)

    assert [(s["row"], s["text"]) for s in result["suggestions"]] == [
        (5, "Hackers post as the agency"),
        (6, "Answering comments takes hours"),
    ]
    first, second = result["suggestions"]
    assert first["categories"][0]["name"] == "Security"
    assert second["categories"][0]["name"] == "Staff time"
    assert all(0 < c["score"] <= 1 for s in result["suggestions"] for c in s["categories"])
    assert list(result) == ["suggestions"]


def test_the_same_file_gives_the_same_answer(tmp_path):
    assert run(tmp_path, EXAMPLES) == run(tmp_path, EXAMPLES)


GROUPS = (
    "text\n"
    "Hackers could take over our account\n"
    "Reach younger residents on their phones\n"
    "Hackers and stolen passwords\n"
    "Reach residents who never read the newspaper\n"
)


def test_without_examples_the_rows_are_grouped(tmp_path):
    assert run(tmp_path, GROUPS, "--groups", "2") == {
        "groups": [{"rows": [1, 3]}, {"rows": [2, 4]}]
    }
    automatic = run(tmp_path, GROUPS)
    assert sorted(row for group in automatic["groups"] for row in group["rows"]) == [1, 2, 3, 4]


def test_a_byte_order_mark_and_a_capitalised_header_are_read(tmp_path):
    result = run(
        tmp_path, "\ufeffText\nSécurité des mots de passe\n社交媒体的安全\n", "--groups", "1"
    )
    assert result == {"groups": [{"rows": [1, 2]}]}


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("words,category\nHello,Greeting\n", "has no 'text' column"),
        ("text,category\n,\n", "has no row with a text"),
        ("text\ncaf\xe9\n".encode("latin-1"), "is not UTF-8 text"),
        ("", "has no 'text' column"),
    ],
)
def test_a_file_it_cannot_use_is_a_clear_error(tmp_path, content, message):
    with pytest.raises(CommandError, match=message):
        run(tmp_path, content)


def test_a_file_too_big_or_too_long_is_refused(tmp_path, monkeypatch):
    monkeypatch.setattr(suggest_categories, "MAX_BYTES", 100)
    with pytest.raises(CommandError, match="larger than"):
        run(tmp_path, "text\n" + "A card\n" * 50)
    monkeypatch.setattr(suggest_categories, "MAX_BYTES", 10_000)
    monkeypatch.setattr(suggest_categories, "MAX_ROWS", 3)
    with pytest.raises(CommandError, match="more than 3 rows"):
        run(tmp_path, "text\n" + "A card\n" * 5)


def test_a_missing_file_or_a_wrong_group_count_is_a_clear_error(tmp_path):
    with pytest.raises(CommandError, match="Cannot read"):
        call_command(
            "suggest_categories", "--input", str(tmp_path / "none.csv"), "--output", "x.json"
        )
    with pytest.raises(CommandError, match="--groups must be from 1"):
        run(tmp_path, GROUPS, "--groups", "0")
