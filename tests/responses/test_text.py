import unicodedata

import pytest
from hypothesis import given
from hypothesis import strategies as st

from responses.text import normalise_statement_text


@pytest.mark.parametrize(
    "raw, tidy",
    [
        ("  Cost savings  ", "Cost savings"),
        ("one\r\ntwo\rthree", "one\ntwo\nthree"),
        ("a\n\n\n\n\nb", "a\n\nb"),
        ("tab\there", "tab here"),
        ("trailing   \nspace", "trailing\nspace"),
        ("nul\x00byte\x1b[31m", "nulbyte[31m"),
        ("\u202eevil\u202c", "evil"),
        ("Cafe\u0301", "Café"),
        ("👩\u200d💻 coder", "👩\u200d💻 coder"),
        ("line\u2028separator", "line\nseparator"),
    ],
)
def test_normaliser_tidies_without_changing_meaning(raw, tidy):
    assert normalise_statement_text(raw) == tidy


@given(st.text())
def test_normaliser_is_idempotent(text):
    once = normalise_statement_text(text)
    assert normalise_statement_text(once) == once


@given(st.text())
def test_normaliser_leaves_no_control_or_format_characters(text):
    tidy = normalise_statement_text(text)
    assert tidy == tidy.strip()
    assert "\r" not in tidy and "\t" not in tidy and "\n\n\n" not in tidy
    for char in tidy:
        assert char in "\n\u200d" or unicodedata.category(char) not in {"Cc", "Cf", "Cs"}
    assert unicodedata.is_normalized("NFC", tidy)
