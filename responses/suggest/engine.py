"""Offline suggestions for clustering cards: which categories a card resembles, which cards
could form groups, and which cards look like duplicates of each other.

Pure functions on texts and labelled examples, with no database and no network. A method names
the kinds of features compared, joined by "+": TF-IDF vectors of words, character n-grams and
the thesaurus's themes, and "embed", the mean of static word vectors shipped inside a package
(embedding.py); texts are compared by cosine similarity, and a method with "embed" and TF-IDF
kinds mixes the two cosines (bench/suggest_eval.py measured the methods and the weights, see
docs/performance.md, "Clustering suggestions"). Everything is deterministic: the same texts in
the same order give the same answer, ties going to the earlier text or label.

Any language is read (words are Unicode word characters; the character n-grams need no spaces,
so Chinese or Japanese cards still compare; the word vectors' tokenizer reads any script); only
the stop words and the light suffix stripping are English, and only touch ASCII words.
"""

from __future__ import annotations

import math
import re
import unicodedata
from collections import Counter, defaultdict
from collections.abc import Collection, Hashable, Sequence
from dataclasses import dataclass

import numpy as np

from responses.suggest import embedding
from responses.suggest.lexicon import THEMES

Vector = dict[str, float]

TFIDF_METHODS = ("words", "chars", "themes", "words+chars", "words+themes", "words+chars+themes")
METHODS = (*TFIDF_METHODS, "embed", "embed+words+chars", "embed+words+chars+themes")
DEFAULT_METHOD = "embed+words+chars+themes"
# Without the word vectors (a broken install), "embed" alone is replaced by this.
FALLBACK_METHOD = "words+chars+themes"
# The share of the word vectors' cosine in a mixed method's score, the rest going to the TF-IDF
# cosine: one for suggesting categories, one for grouping (chosen on the main set of
# bench/data/, see docs/performance.md).
EMBED_WEIGHT = 0.4
GROUP_EMBED_WEIGHT = 0.65
# Any two cards' word vectors are somewhat alike: the median cosine of a card with a category it
# does not belong to is 0.08 (main set). A method with "embed" suggests a category only from
# MIN_SCORE plus the word vectors' share of that, so a card like "Parking" gets no button.
EMBED_BASELINE = 0.08
# Two cards at least this similar (character n-grams, every word kept) are near-identical:
# "Cost savings" and "cost saving!", not two cards on the same theme.
DUPLICATE_THRESHOLD = 0.8
MAX_AUTOMATIC_GROUPS = 16
# A category is suggested for a card only from this score (cosine) up.
MIN_SCORE = 0.02

_STOP_WORDS = """
    a about above after again against all am an and any are as at be because been before
    being below between both but by can could did do does doing down during each few for from
    further had has have having he her here hers herself him himself his how i if in into is it
    its itself just me more most my myself no nor not now of off on once only or other our ours
    ourselves out over own same she should so some such than that the their theirs them
    themselves then there these they this those through to too under until up very was we were
    what when where which while who whom why will with would you your yours yourself yourselves
    us also may might must shall let get gets got really every many much via etc"""
STOP_WORDS = frozenset(_STOP_WORDS.split())

_WORD = re.compile(r"\w+")
_SUFFIXES = ("ational", "ations", "ation", "ments", "ment", "ings", "ing", "ies", "ied", "edly")


def normalise(text: str) -> str:
    """Compatibility-composed and case-folded: "Ｃｏｓｔ" and "cost" are the same word."""
    return unicodedata.normalize("NFKC", text).casefold()


def stem(word: str) -> str:
    """A light English suffix stripper ("policies" → "polic", "posting" → "post"); words
    that are not plain ASCII letters, or short, are left as they are."""
    if len(word) <= 4 or not (word.isascii() and word.isalpha()):
        return word
    for suffix in _SUFFIXES:
        if word.endswith(suffix) and len(word) - len(suffix) >= 3:
            return word[: -len(suffix)]
    if word.endswith("ed") and len(word) > 5:
        return word[:-2]
    if word.endswith("ly") and len(word) > 5:
        return word[:-2]
    if word.endswith("es") and word[-3] in "sxz":
        return word[:-2]
    if word.endswith("s") and not word.endswith("ss"):
        return word[:-1]
    return word


def words(text: str) -> list[str]:
    """The text's words, case-folded, without numbers (word characters in any script)."""
    return [w for w in _WORD.findall(normalise(text)) if not w.isdigit()]


def word_features(text: str) -> Counter[str]:
    """Stemmed words other than stop words (a text of only stop words keeps them)."""
    found = words(text)
    kept = [w for w in found if w not in STOP_WORDS] or found
    return Counter(stem(w) for w in kept)


def char_features(text: str, keep_stop_words: bool = False, sizes=(3, 4, 5)) -> Counter[str]:
    """Character n-grams inside each word padded with spaces (" pri", "priv", …), so
    spelling variants and scripts without spaces still share features."""
    found = words(text)
    if not keep_stop_words:
        found = [w for w in found if w not in STOP_WORDS] or found
    grams: Counter[str] = Counter()
    for word in found:
        padded = f" {word} "
        for size in sizes:
            if len(padded) < size:
                continue
            grams.update(padded[i : i + size] for i in range(len(padded) - size + 1))
        if len(padded) < sizes[0]:  # a one-character word in a script without spaces
            grams[padded] += 1
    return grams


def tfidf(documents: Sequence[Counter[str]]) -> list[Vector]:
    """Sublinear term frequency × smoothed inverse document frequency, L2-normalised."""
    count = len(documents)
    frequency: Counter[str] = Counter()
    for document in documents:
        frequency.update(document.keys())
    idf = {term: math.log((1 + count) / (1 + df)) + 1 for term, df in frequency.items()}
    vectors = []
    for document in documents:
        vector = {term: (1 + math.log(tf)) * idf[term] for term, tf in document.items()}
        vectors.append(_normalised(vector))
    return vectors


def _normalised(vector: Vector) -> Vector:
    norm = math.sqrt(sum(value * value for value in vector.values()))
    return {term: value / norm for term, value in vector.items()} if norm else {}


def theme_features(text: str) -> Counter[str]:
    """The themes of the thesaurus (lexicon.py) that the text's words belong to."""
    found: Counter[str] = Counter()
    for word in words(text):
        found.update(_THEMES_BY_STEM.get(stem(word), ()))
    return found


_THEMES_BY_STEM: dict[str, tuple[str, ...]] = {}
for _theme, _listed in THEMES.items():
    for _word in _listed.split():
        _THEMES_BY_STEM[stem(_word)] = (*_THEMES_BY_STEM.get(stem(_word), ()), _theme)

_FEATURES = {"words": word_features, "chars": char_features, "themes": theme_features}


def split_method(method: str) -> tuple[bool, str | None]:
    """``(uses the word vectors, the TF-IDF method or None)`` for a method, e.g. ``(True,
    "words+chars")`` for "embed+words+chars". Where the word vectors cannot be loaded, the
    TF-IDF part alone is used (or FALLBACK_METHOD for "embed" alone)."""
    if method not in METHODS:
        raise ValueError(f"unknown method {method!r}; choose one of {', '.join(METHODS)}")
    if not method.startswith("embed"):
        return False, method
    rest = method.removeprefix("embed").removeprefix("+") or None
    if not embedding.available():
        return False, rest or FALLBACK_METHOD
    return True, rest


def embed_texts(texts: Sequence[str], *, centred: bool = False) -> np.ndarray:
    """The texts' unit word-vector embeddings (embedding.py), of the normalised texts (case-
    folded: the tokenizer is case-sensitive, and folding measured better).

    ``centred`` subtracts the texts' mean vector before making the rows unit length: mean word
    vectors all share a large common part, so raw cosines between any two cards are high and
    their differences small; centred, they spread, which grouping needs (measured: it raised
    the ARI) and suggesting categories does not (measured: slightly lower)."""
    vectors = embedding.embed([normalise(text) for text in texts])
    if centred and len(vectors):
        vectors = vectors - vectors.mean(axis=0)
        norms = np.linalg.norm(vectors, axis=1, keepdims=True)
        vectors = np.divide(vectors, norms, out=np.zeros_like(vectors), where=norms > 1e-9)
    return vectors


def vectorise(texts: Sequence[str], method: str = DEFAULT_METHOD) -> list[Vector]:
    """Unit TF-IDF vectors of ``texts``. A method joins kinds of features with "+"
    ("words+chars"): each kind is weighted by TF-IDF and normalised on its own, and the kinds
    weigh the same, so the cosine of the whole is the mean of the kinds' cosines."""
    kinds = method.split("+")
    if method not in TFIDF_METHODS or not kinds:
        raise ValueError(f"unknown method {method!r}; choose one of {', '.join(TFIDF_METHODS)}")
    if len(kinds) == 1:
        return tfidf([_FEATURES[method](text) for text in texts])
    share = math.sqrt(1 / len(kinds))
    joined: list[Vector] = [{} for _ in texts]
    for kind in kinds:
        for vector, part in zip(joined, vectorise(texts, kind), strict=True):
            vector.update({f"{kind[0]}:{term}": value * share for term, value in part.items()})
    return joined


def cosine(a: Vector, b: Vector) -> float:
    if len(a) > len(b):
        a, b = b, a
    return sum(value * b.get(term, 0.0) for term, value in a.items())


def similarities(vectors: Sequence[Vector]) -> list[list[float]]:
    """Every pair's cosine (1 on the diagonal), through an inverted index: only pairs that
    share a feature cost anything."""
    count = len(vectors)
    postings: dict[str, list[tuple[int, float]]] = defaultdict(list)
    for index, vector in enumerate(vectors):
        for term, value in vector.items():
            postings[term].append((index, value))
    rows: list[dict[int, float]] = [{} for _ in range(count)]
    for listed in postings.values():
        for a, (i, weight_i) in enumerate(listed):
            row = rows[i]
            for j, weight_j in listed[a + 1 :]:
                row[j] = row.get(j, 0.0) + weight_i * weight_j
    matrix = [[0.0] * count for _ in range(count)]
    for i, row in enumerate(rows):
        matrix[i][i] = 1.0 if vectors[i] else 0.0
        for j, value in row.items():
            matrix[i][j] = matrix[j][i] = value
    return matrix


# --- Suggesting categories ----------------------------------------------------------------------


@dataclass(frozen=True)
class Scored:
    label: Hashable
    score: float


def suggest(
    texts: Sequence[str],
    examples: Sequence[tuple[str, Hashable]],
    *,
    labels: Sequence[tuple[Hashable, str]] = (),
    top: int = 3,
    method: str = DEFAULT_METHOD,
    min_score: float = MIN_SCORE,
) -> list[list[Scored]]:
    """For each text, the ``top`` labels it most resembles, best first, none scoring below
    ``min_score`` (a shared "pa" is no resemblance; with "embed", EMBED_BASELINE is added).

    ``examples`` are ``(text, label)``; ``labels`` are ``(label, name)``, in the order that
    breaks ties, and each label's name (and description) counts as one more example of it. A
    label's profile is the mean of its examples' vectors; the score is the cosine with it (for
    a mixed method, EMBED_WEIGHT × the word vectors' cosine + the rest × the TF-IDF cosine).
    """
    order = list(dict.fromkeys([*(label for label, _ in labels), *(lb for _, lb in examples)]))
    named = [(name, label) for label, name in labels if name.strip()]
    known = [*examples, *named]
    embedded, rest = split_method(method)
    scores = np.zeros((len(texts), len(order)))
    share = (EMBED_WEIGHT if rest else 1.0) if embedded else 0.0
    if rest:
        scores += (1 - share) * _profile_scores(texts, known, order, rest)
    if embedded:
        scores += share * _embedding_scores(texts, known, order)
        min_score += share * EMBED_BASELINE
    answers = []
    for row in scores.tolist():
        scored = sorted(zip(row, range(len(order)), strict=True), key=lambda p: (-p[0], p[1]))
        answers.append(
            [
                Scored(order[rank], round(score, 4))
                for score, rank in scored[:top]
                if score >= min_score
            ]
        )
    return answers


def _profile_scores(
    texts: Sequence[str],
    known: Sequence[tuple[str, Hashable]],
    order: Sequence[Hashable],
    method: str,
) -> np.ndarray:
    """The TF-IDF cosine of each text with each label's profile (the sum of its examples'
    vectors, made unit length)."""
    vectors = vectorise([*texts, *(text for text, _ in known)], method)
    targets, known_vectors = vectors[: len(texts)], vectors[len(texts) :]
    sums: dict[Hashable, Vector] = {label: {} for label in order}
    for (_text, label), vector in zip(known, known_vectors, strict=True):
        profile = sums[label]
        for term, value in vector.items():
            profile[term] = profile.get(term, 0.0) + value
    profiles = [_normalised(sums[label]) for label in order]
    return np.array(
        [[cosine(target, profile) for profile in profiles] for target in targets]
    ).reshape(len(texts), len(order))


def _embedding_scores(
    texts: Sequence[str], known: Sequence[tuple[str, Hashable]], order: Sequence[Hashable]
) -> np.ndarray:
    """The word vectors' cosine of each text with each label's profile (the sum of its
    examples' vectors, made unit length)."""
    vectors = embed_texts([*texts, *(text for text, _ in known)])
    targets, known_vectors = vectors[: len(texts)], vectors[len(texts) :]
    position = {label: index for index, label in enumerate(order)}
    profiles = np.zeros((len(order), embedding.DIMENSIONS))
    for (_text, label), vector in zip(known, known_vectors, strict=True):
        profiles[position[label]] += vector
    norms = np.linalg.norm(profiles, axis=1, keepdims=True)
    profiles = np.divide(profiles, norms, out=np.zeros_like(profiles), where=norms > 1e-12)
    return targets @ profiles.T


# --- Proposing groups ---------------------------------------------------------------------------


def _merges(matrix: list[list[float]]) -> list[tuple[float, int, int]]:
    """Average-linkage agglomerative clustering by the nearest-neighbour chain: the n - 1
    merges ``(similarity, i, j)``, most similar first; cluster ``i`` keeps its index."""
    count = len(matrix)
    sim = [row[:] for row in matrix]
    size = [1] * count
    active = [True] * count
    merges: list[tuple[float, int, int, int]] = []
    chain: list[int] = []
    remaining = count
    while remaining > 1:
        if not chain:
            chain.append(next(i for i in range(count) if active[i]))
        a = chain[-1]
        previous = chain[-2] if len(chain) > 1 else -1
        best, best_sim = previous, sim[a][previous] if previous >= 0 else -math.inf
        row = sim[a]
        for k in range(count):
            if active[k] and k != a and row[k] > best_sim:
                best, best_sim = k, row[k]
        if best != previous:
            chain.append(best)
            continue
        chain.pop()
        chain.pop()
        i, j = min(a, best), max(a, best)
        merges.append((best_sim, len(merges), i, j))
        total = size[i] + size[j]
        for k in range(count):
            if active[k] and k not in (i, j):
                value = (size[i] * sim[i][k] + size[j] * sim[j][k]) / total
                sim[i][k] = sim[k][i] = value
        size[i], active[j] = total, False
        remaining -= 1
    merges.sort(key=lambda merge: (-merge[0], merge[1]))
    return [(similarity, i, j) for similarity, _, i, j in merges]


def _cut(count: int, merges: list[tuple[float, int, int]], groups: int) -> list[int]:
    """Each text's group number after all but the last ``groups - 1`` merges."""
    parent = list(range(count))

    def root(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    for _similarity, i, j in merges[: max(count - groups, 0)]:
        parent[max(root(i), root(j))] = min(root(i), root(j))
    return [root(i) for i in range(count)]


def silhouette(matrix: list[list[float]], assignment: Sequence[int]) -> float:
    """The mean silhouette (cosine distance) of an assignment; a text alone in its group
    scores 0."""
    members: dict[int, list[int]] = defaultdict(list)
    for index, group in enumerate(assignment):
        members[group].append(index)
    if len(members) < 2:
        return 0.0
    total = 0.0
    for index, group in enumerate(assignment):
        if len(members[group]) == 1:
            continue
        row = matrix[index]
        mean_distance = {
            other: sum(1 - row[m] for m in listed if m != index)
            / (len(listed) - (1 if other == group else 0))
            for other, listed in members.items()
        }
        inside = mean_distance.pop(group)
        nearest = min(mean_distance.values())
        total += (nearest - inside) / max(nearest, inside, 1e-12)
    return total / len(assignment)


def similarity_matrix(texts: Sequence[str], method: str = DEFAULT_METHOD) -> list[list[float]]:
    """Every pair's similarity: the TF-IDF cosine, the (centred) word vectors' cosine, or for a
    mixed method GROUP_EMBED_WEIGHT × the latter + the rest × the former."""
    embedded, rest = split_method(method)
    matrix = np.zeros((len(texts), len(texts)))
    if rest:
        matrix += (1 - GROUP_EMBED_WEIGHT if embedded else 1.0) * np.array(
            similarities(vectorise(texts, rest))
        ).reshape(len(texts), len(texts))
    if embedded:
        vectors = embed_texts(texts, centred=True)
        matrix += (GROUP_EMBED_WEIGHT if rest else 1.0) * (vectors @ vectors.T)
    return matrix.tolist()


def propose_groups(
    texts: Sequence[str], *, groups: int | None = None, method: str = DEFAULT_METHOD
) -> list[list[int]]:
    """The texts in groups (lists of indices, in text order; the groups ordered by their first
    text), every text in one group. ``groups`` asks for that many; without it the number with
    the best silhouette, from 2 to 16, is chosen (the fewer on a tie)."""
    count = len(texts)
    if count == 0:
        return []
    if count == 1:
        return [[0]]
    matrix = similarity_matrix(texts, method)
    merges = _merges(matrix)
    if groups is None:
        candidates = range(2, min(MAX_AUTOMATIC_GROUPS, count - 1) + 1) or [1]
        scored = [(silhouette(matrix, _cut(count, merges, k)), -k) for k in candidates]
        groups = -max(scored, default=(0, -1))[1] if count > 2 else 1
    assignment = _cut(count, merges, max(1, min(groups, count)))
    by_group: dict[int, list[int]] = {}
    for index, group in enumerate(assignment):
        by_group.setdefault(group, []).append(index)
    return sorted(by_group.values(), key=lambda members: members[0])


def group_name(texts: Sequence[str], *, most: int = 3) -> str:
    """A draft name for a group: its most telling words (by summed TF-IDF), as written most
    often, e.g. "Security, passwords, accounts"."""
    features = [word_features(text) for text in texts]
    weights: Counter[str] = Counter()
    for vector in tfidf(features):
        weights.update(vector)
    for document in features:  # a word in several of the group's texts weighs more
        weights.update(dict.fromkeys(document, 0.25))
    surface: dict[str, Counter[str]] = defaultdict(Counter)
    for text in texts:
        for word in words(text):
            surface[stem(word)][word] += 1
    ranked = sorted(weights, key=lambda term: (-round(weights[term], 9), term))[:most]
    shown = [surface[term].most_common(1)[0][0] if surface[term] else term for term in ranked]
    name = ", ".join(shown)
    return name[:1].upper() + name[1:]


# --- Duplicates ---------------------------------------------------------------------------------


def find_duplicates(
    texts: Sequence[str],
    *,
    threshold: float = DUPLICATE_THRESHOLD,
    later: Collection[int] | None = None,
) -> list[tuple[int, int, float]]:
    """Pairs ``(earlier, later, similarity)`` of near-identical texts, in text order: the
    character n-grams of every word, stop words kept, at least ``threshold`` alike (cosine of
    their term frequencies).

    ``later`` limits the later text of a pair to those indices (the cards still to be
    clustered), so a long session costs in proportion to them, not to every pair.
    """
    # Term frequency only: whether two cards are the same card does not depend on what else
    # the session holds (inverse document frequency would make it so).
    vectors = [
        _normalised({gram: 1 + math.log(tf) for gram, tf in char_features(text, True).items()})
        for text in texts
    ]
    postings: dict[str, list[tuple[int, float]]] = defaultdict(list)
    for index, vector in enumerate(vectors):
        for term, value in vector.items():
            postings[term].append((index, value))
    wanted = range(len(texts)) if later is None else sorted(set(later))
    pairs = []
    for j in wanted:
        alike: dict[int, float] = defaultdict(float)
        for term, value in vectors[j].items():
            for i, weight in postings[term]:
                if i >= j:
                    break  # postings are in text order: only earlier texts
                alike[i] += value * weight
        pairs.extend((i, j, round(score, 4)) for i, score in alike.items() if score >= threshold)
    return sorted(pairs)
