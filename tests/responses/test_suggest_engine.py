"""The suggestions' engine: pure functions on texts, deterministic, any language."""

import logging
import os
import subprocess
import sys
import textwrap
from itertools import pairwise
from pathlib import Path

import numpy as np
import pytest

from responses.suggest import embedding, engine

EXAMPLES = [
    ("Hackers take over the account", "security"),
    ("Passwords shared by staff", "security"),
    ("No time to answer comments", "staff"),
    ("Nobody monitors the page at weekends", "staff"),
    ("Warn residents about storms", "emergency"),
    ("Evacuation updates when phones are down", "emergency"),
]
LABELS = [("security", "Security"), ("staff", "Staff time"), ("emergency", "Emergencies")]
CARDS = [
    ("Hackers could deface our page", "security"),
    ("Someone steals the login password", "security"),
    ("Answering every comment takes hours", "staff"),
    ("Nobody has time to monitor comments", "staff"),
    ("Flood warnings reach residents fast", "emergency"),
    ("Storm alerts during a hurricane", "emergency"),
]


@pytest.mark.parametrize("method", engine.METHODS)
def test_the_same_input_gives_the_same_answer(method):
    texts = [text for text, _ in CARDS]
    first = engine.suggest(texts, EXAMPLES, labels=LABELS, method=method)
    assert engine.suggest(texts, EXAMPLES, labels=LABELS, method=method) == first
    assert engine.propose_groups(texts, method=method) == engine.propose_groups(
        texts, method=method
    )


def test_the_right_category_is_among_the_top_three_on_a_small_set():
    answers = engine.suggest([text for text, _ in CARDS], EXAMPLES, labels=LABELS)

    assert [answer[0].label for answer in answers] == [label for _, label in CARDS]
    assert all(len(answer) <= 3 for answer in answers)
    assert all(a.score >= b.score for answer in answers for a, b in pairwise(answer))


def test_ties_go_to_the_labels_in_their_given_order():
    answers = engine.suggest(["same words"], [("same words", "b"), ("same words", "a")])
    assert [hint.label for hint in answers[0]] == ["b", "a"]


@pytest.mark.parametrize(
    "text",
    [
        "",
        " ",
        "a",
        "Security",
        "🙂🙂",
        "Sécurité des mots de passe",
        "社交媒体的安全问题",
        "数据安全",
        "Sécurité des données",
        "x" * 2000,
        "Безопасность паролей",
        "1234 5678",
        "\u200d\u0301",
    ],
)
@pytest.mark.parametrize("method", engine.METHODS)
def test_odd_or_foreign_texts_do_not_fail(text, method):
    answers = engine.suggest([text], EXAMPLES, labels=LABELS, method=method)
    assert len(answers) == 1
    assert engine.propose_groups([text, text, "Hackers"], method=method)
    assert engine.group_name([text]) is not None
    assert engine.find_duplicates([text, "Hackers"]) == []


def test_texts_in_a_script_without_spaces_still_compare():
    answers = engine.suggest(
        ["社交媒体账户的密码安全"],
        [("密码安全很重要", "安全"), ("员工没有时间回复", "时间")],
        method="chars",
    )
    assert answers[0][0].label == "安全"


def test_nothing_to_compare_gives_empty_answers():
    assert engine.suggest([], EXAMPLES) == []
    assert engine.suggest(["Hackers"], []) == [[]]
    assert engine.propose_groups([]) == []
    assert engine.propose_groups(["alone"]) == [[0]]
    assert engine.find_duplicates([]) == []


def test_groups_cover_every_text_once_and_k_is_respected():
    texts = [text for text, _ in CARDS]
    for k in (1, 2, 3, 6, 10):
        found = engine.propose_groups(texts, groups=k)
        assert len(found) == min(k, len(texts))
        assert sorted(i for group in found for i in group) == list(range(len(texts)))
    assert engine.propose_groups(texts, groups=3) == [[0, 1], [2, 3], [4, 5]]


def test_near_identical_cards_are_duplicates_and_related_ones_are_not():
    texts = [
        "Cost savings",
        "Reach younger residents where they already are",
        "cost saving!",
        "Reach younger residents where they are",
        "Reach older residents by post",
        "Cost savings.",
    ]
    assert [(i, j) for i, j, _ in engine.find_duplicates(texts)] == [
        (0, 2),
        (0, 5),
        (1, 3),
        (2, 5),
    ]
    assert [(i, j) for i, j, _ in engine.find_duplicates(texts, later=[5])] == [(0, 5), (2, 5)]


def test_a_group_name_uses_its_most_telling_words_as_written():
    name = engine.group_name(
        ["Hackers deface the page", "Hackers steal passwords", "Password reuse"]
    )
    assert name.startswith("Hackers") or name.startswith("Password")
    assert name[0].isupper()


def test_an_unknown_method_is_refused():
    with pytest.raises(ValueError, match="unknown method"):
        engine.vectorise(["a"], "magic")


# --- The word vectors ---------------------------------------------------------------------------

EMBED_METHODS = [method for method in engine.METHODS if method.startswith("embed")]


def test_the_embedding_methods_are_offered_and_the_default_uses_them():
    assert EMBED_METHODS == ["embed", "embed+words+chars", "embed+words+chars+themes"]
    assert engine.DEFAULT_METHOD == "embed+words+chars+themes"
    assert engine.split_method("embed+words+chars") == (True, "words+chars")
    assert engine.split_method("embed") == (True, None)
    assert engine.split_method("words") == (False, "words")


def test_a_text_gets_the_same_unit_vector_alone_or_among_others():
    texts = ["Hackers steal passwords", "", "数据安全", "Sécurité des données", "Security"]

    vectors = embedding.embed(texts)

    assert vectors.shape == (5, embedding.DIMENSIONS)
    assert np.allclose(np.linalg.norm(vectors, axis=1), [1, 0, 1, 1, 1])
    assert not vectors[1].any()  # no token, no direction
    for index, text in enumerate(texts):
        assert np.array_equal(embedding.embed([text])[0], vectors[index])
    assert embedding.embed([]).shape == (0, embedding.DIMENSIONS)


@pytest.mark.parametrize("method", EMBED_METHODS)
def test_the_embedding_methods_give_the_same_answer_each_time(method):
    texts = [text for text, _ in CARDS] + ["", "Security", "数据安全", "Sécurité des données"]

    first = engine.suggest(texts, EXAMPLES, labels=LABELS, method=method)
    groups = engine.propose_groups(texts, method=method)

    assert engine.suggest(texts, EXAMPLES, labels=LABELS, method=method) == first
    assert engine.propose_groups(texts, method=method) == groups
    assert sorted(i for group in groups for i in group) == list(range(len(texts)))
    assert first[len(CARDS)] == []  # an empty card resembles nothing


def test_the_word_vectors_relate_cards_that_share_no_word():
    answers = engine.suggest(
        ["Cyber criminals break into the council's profile"],
        [("Hackers steal passwords", "security"), ("Flood warnings for residents", "emergency")],
        method="embed",
    )
    assert answers[0][0].label == "security"


def test_without_the_word_vectors_the_tfidf_features_are_used_and_a_warning_logged_once(
    monkeypatch, caplog
):
    def broken():
        raise ImportError("no module named wordllama")

    monkeypatch.setattr(embedding, "_state", {})
    monkeypatch.setattr(embedding, "_load", broken)
    texts = [text for text, _ in CARDS]
    with caplog.at_level(logging.WARNING, logger="responses.suggest.embedding"):
        answers = engine.suggest(texts, EXAMPLES, labels=LABELS)
        groups = engine.propose_groups(texts, method="embed")

    expected = engine.suggest(texts, EXAMPLES, labels=LABELS, method="words+chars+themes")
    assert answers == expected
    assert groups == engine.propose_groups(texts, method=engine.FALLBACK_METHOD)
    assert engine.split_method("embed+words+chars") == (False, "words+chars")
    assert [record.getMessage() for record in caplog.records] == [
        "The word vectors for clustering suggestions could not be loaded (ImportError: no "
        "module named wordllama); suggestions use TF-IDF features only."
    ]


def test_the_model_ships_in_the_package():
    folder = embedding.package_folder()
    assert (folder / "weights" / "l2_supercat_256.safetensors").stat().st_size > 10_000_000
    assert (folder / "tokenizers" / "l2_supercat_tokenizer_config.json").is_file()


def test_loading_the_model_touches_no_network_and_no_home_folder(tmp_path):
    # A fresh process, with every connection refused and an empty home: the model still loads
    # from the package folder, and nothing is written to a cache.
    script = textwrap.dedent(
        """
        import socket

        def refuse(*args, **kwargs):
            raise OSError("the network was used")

        socket.socket.connect = refuse
        socket.socket.connect_ex = refuse
        socket.create_connection = refuse

        from responses.suggest import embedding

        vectors = embedding.embed(["Hackers steal passwords", "数据安全"])
        print(vectors.shape)
        """
    )
    home = tmp_path / "home"
    home.mkdir()
    environment = {
        key: value for key, value in os.environ.items() if not key.startswith(("HF_", "HUGGING"))
    }
    environment.update(HOME=str(home), PYTHONPATH=str(Path(__file__).resolve().parents[2]))

    done = subprocess.run(  # noqa: S603  (this Python, a fixed script)
        [sys.executable, "-c", script],
        env=environment,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )

    assert (done.returncode, done.stdout.strip()) == (0, "(2, 256)"), done.stderr
    assert "could not be loaded" not in done.stderr
    assert list(home.iterdir()) == []
