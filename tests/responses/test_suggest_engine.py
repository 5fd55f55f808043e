"""The suggestions' engine: pure functions on texts, deterministic, any language."""

from itertools import pairwise

import pytest

from responses.suggest import engine

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
