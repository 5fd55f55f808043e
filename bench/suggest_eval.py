"""`make bench`, the clustering suggestions: how often they are right, and what they cost.

On the labelled cards in bench/data/ (written for this project: government professionals on
social media, 8 categories; clustering_statements.csv, 112 cards, a held-out set of 40
written after the thesaurus responses/suggest/lexicon.py was fixed, and a blind set of 80 written
by someone who had seen neither the thesaurus nor the other cards), for each method of
responses/suggest/engine.py, the TF-IDF ones and those with the packaged word vectors ("embed",
responses/suggest/embedding.py):

- top-1 and top-3 accuracy of the category suggestions, with 2 examples per category (and
  the category's name, as on the clustering page), averaged over 20 random draws (seeds 0-19);
- the adjusted Rand index of the proposed groups against the categories, with 8 groups and
  with the number chosen automatically;
- the time for 200 cards (suggestions against 8 categories, grouping, duplicates): the median
  wall-clock and CPU time of 5 runs; and the time to load the word vectors, once per process.

The weights that mix the word vectors' cosine with the TF-IDF one (engine.EMBED_WEIGHT and
GROUP_EMBED_WEIGHT) were chosen on the main set only; the held-out and blind figures were not
used to tune anything.

The figures go to bench/results/suggestions.json and docs/performance.md (between the
suggestions markers; ``--no-doc`` leaves the document alone).
Run with the project's virtualenv: `.venv/bin/python bench/suggest_eval.py` (make bench does).
"""

from __future__ import annotations

import argparse
import csv
import datetime
import json
import platform
import random
import statistics
import sys
import time
from collections import Counter
from math import comb
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from responses.suggest import embedding, engine  # noqa: E402  (the engine needs no Django)

DATA = ROOT / "bench" / "data"
SETS = {
    "main": DATA / "clustering_statements.csv",
    "held-out": DATA / "clustering_statements_holdout.csv",
    # 80 cards, 10 per category, written by someone who had read neither the thesaurus nor the
    # other sets' cards, after every weight was fixed.
    "blind": DATA / "clustering_statements_blind.csv",
}
RESULTS = ROOT / "bench" / "results" / "suggestions.json"
DOC = ROOT / "docs" / "performance.md"
DOC_START, DOC_END = "<!-- suggestions:start -->", "<!-- suggestions:end -->"
DRAWS, EXAMPLES_PER_CATEGORY, RUNS = 20, 2, 5


def load(path: Path) -> tuple[list[str], list[str]]:
    with path.open(encoding="utf-8") as file:
        rows = list(csv.DictReader(file))
    return [row["text"] for row in rows], [row["category"] for row in rows]


def adjusted_rand_index(truth: list[str], found: list[int]) -> float:
    pairs = comb(len(truth), 2)
    together = sum(comb(n, 2) for n in Counter(zip(truth, found, strict=True)).values())
    by_truth = sum(comb(n, 2) for n in Counter(truth).values())
    by_found = sum(comb(n, 2) for n in Counter(found).values())
    expected = by_truth * by_found / pairs
    best = (by_truth + by_found) / 2
    return (together - expected) / (best - expected) if best != expected else 1.0


def accuracy(texts: list[str], truth: list[str], method: str) -> tuple[float, float]:
    names = list(dict.fromkeys(truth))
    top1 = top3 = total = 0
    for seed in range(DRAWS):
        rng = random.Random(seed)
        chosen = set()
        for name in names:
            chosen |= set(rng.sample([i for i, c in enumerate(truth) if c == name], 2))
        targets = [i for i in range(len(texts)) if i not in chosen]
        answers = engine.suggest(
            [texts[i] for i in targets],
            [(texts[i], truth[i]) for i in sorted(chosen)],
            labels=[(name, name) for name in names],
            method=method,
        )
        for index, answer in zip(targets, answers, strict=True):
            labels = [hint.label for hint in answer]
            top1 += labels[:1] == [truth[index]]
            top3 += truth[index] in labels
            total += 1
    return round(top1 / total, 3), round(top3 / total, 3)


def grouping(texts: list[str], truth: list[str], method: str, groups: int | None) -> dict:
    found = engine.propose_groups(texts, groups=groups, method=method)
    assignment = [0] * len(texts)
    for number, members in enumerate(found):
        for index in members:
            assignment[index] = number
    return {"groups": len(found), "ari": round(adjusted_rand_index(truth, assignment), 3)}


def two_hundred_cards() -> tuple[list[str], list[tuple[str, str]]]:
    """All 152 labelled cards and 48 retyped copies (as round robin brings), and 2 examples of
    each category."""
    texts, truth = load(SETS["main"])
    held_texts, _ = load(SETS["held-out"])
    copies = [text.lower().rstrip("?.") + "!" for text in texts[::2][:48]]
    cards = [*texts, *held_texts, *copies]
    examples = [(texts[i], truth[i]) for i in range(0, len(texts), 7)][:16]
    return cards[:200], examples


def timed(work) -> dict:
    walls, cpus = [], []
    for _ in range(RUNS):
        wall, cpu = time.perf_counter(), time.process_time()
        work()
        walls.append((time.perf_counter() - wall) * 1000)
        cpus.append((time.process_time() - cpu) * 1000)
    return {"ms": round(statistics.median(walls), 1), "cpu_ms": round(statistics.median(cpus), 1)}


def timings(method: str) -> dict:
    cards, examples = two_hundred_cards()
    labels = [(c, c) for c in dict.fromkeys(c for _, c in examples)]
    parts = {
        "suggestions": lambda: engine.suggest(cards, examples, labels=labels, method=method),
        "groups_automatic": lambda: engine.propose_groups(cards, method=method),
        "groups_8": lambda: engine.propose_groups(cards, groups=8, method=method),
        "duplicates": lambda: engine.find_duplicates(cards),
    }
    return {name: timed(work) for name, work in parts.items()}


def load_time() -> dict:
    """Loading the word vectors, as the first suggestion in a process does."""
    wall, cpu = time.perf_counter(), time.process_time()
    if not embedding.available():
        raise SystemExit("the word vectors could not be loaded: the embed methods would fall back")
    return {
        "ms": round((time.perf_counter() - wall) * 1000, 1),
        "cpu_ms": round((time.process_time() - cpu) * 1000, 1),
    }


def measure() -> dict:
    results: dict = {"methods": {}, "cards": {}, "model_load": load_time()}
    results["weights"] = {"suggest": engine.EMBED_WEIGHT, "groups": engine.GROUP_EMBED_WEIGHT}
    for name, path in SETS.items():
        texts, truth = load(path)
        results["cards"][name] = {"cards": len(texts), "categories": len(set(truth))}
    for method in engine.METHODS:
        entry = {}
        for name, path in SETS.items():
            texts, truth = load(path)
            top1, top3 = accuracy(texts, truth, method)
            entry[name] = {
                "top1": top1,
                "top3": top3,
                "groups_8": grouping(texts, truth, method, 8),
                "groups_automatic": grouping(texts, truth, method, None),
            }
        entry["time_200"] = timings(method)
        results["methods"][method] = entry
        print(method, json.dumps(entry), flush=True)
    return results


def document(results: dict) -> str:
    when = datetime.datetime.now(datetime.UTC).strftime("%Y-%m-%d %H:%M UTC")
    lines = [
        f"Measured {when} on {platform.machine()}, Python {platform.python_version()}, with "
        "`make bench` (`.venv/bin/python bench/suggest_eval.py`): 2 examples per category and "
        f"its name, {DRAWS} draws (seeds 0–{DRAWS - 1}); times for 200 cards, median of {RUNS}. "
        f"Word vectors' share of a mixed score: {results['weights']['suggest']} for suggestions, "
        f"{results['weights']['groups']} for groups (chosen on the main set).",
        "",
        "| method | top-1 | top-3 | ARI, 8 groups | ARI, automatic (groups) "
        "| top-1 held-out | top-3 held-out | ARI held-out, 8 | ARI held-out, automatic (groups) "
        "| slowest part, 200 cards |",
        "|---|---|---|---|---|---|---|---|---|---|",
    ]
    for method, entry in results["methods"].items():
        main, held = entry["main"], entry["held-out"]
        auto, held_auto = main["groups_automatic"], held["groups_automatic"]
        slowest = max(t["ms"] for t in entry["time_200"].values())
        lines.append(
            f"| {method}{' (chosen)' if method == engine.DEFAULT_METHOD else ''} "
            f"| {main['top1']:.2f} | {main['top3']:.2f} | {main['groups_8']['ari']:.2f} "
            f"| {auto['ari']:.2f} ({auto['groups']}) | {held['top1']:.2f} | {held['top3']:.2f} "
            f"| {held['groups_8']['ari']:.2f} | {held_auto['ari']:.2f} ({held_auto['groups']}) "
            f"| {slowest:.0f} ms |"
        )
    cards = results["cards"]["blind"]["cards"]
    lines += [
        "",
        f"The blind set ({cards} cards, written by someone who had read neither the thesaurus nor "
        "the other sets, after every weight was fixed):",
        "",
        "| method | top-1 | top-3 | ARI, 8 groups | ARI, automatic (groups) |",
        "|---|---|---|---|---|",
    ]
    for method, entry in results["methods"].items():
        blind = entry["blind"]
        lines.append(
            f"| {method}{' (chosen)' if method == engine.DEFAULT_METHOD else ''} "
            f"| {blind['top1']:.2f} | {blind['top3']:.2f} | {blind['groups_8']['ari']:.2f} "
            f"| {blind['groups_automatic']['ari']:.2f} ({blind['groups_automatic']['groups']}) |"
        )
    chosen = results["methods"][engine.DEFAULT_METHOD]["time_200"]
    load = results["model_load"]
    lines += [
        "",
        f"Time for 200 cards with {engine.DEFAULT_METHOD} (wall / CPU): "
        + "; ".join(
            f"{name.replace('_', ' ')} {t['ms']:.0f} ms / {t['cpu_ms']:.0f} ms"
            for name, t in chosen.items()
        )
        + f". Loading the word vectors, once per process: {load['ms']:.0f} ms / "
        f"{load['cpu_ms']:.0f} ms.",
    ]
    return "\n".join(lines)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--no-doc", action="store_true", help="leave docs/performance.md alone")
    parser.add_argument("--output", type=Path, default=RESULTS, help="where the JSON goes")
    arguments = parser.parse_args()
    results = measure()
    arguments.output.write_text(json.dumps(results, indent=2) + "\n")
    if not arguments.no_doc:
        text = DOC.read_text()
        if DOC_START in text and DOC_END in text:
            before, rest = text.split(DOC_START, 1)
            after = rest.split(DOC_END, 1)[1]
            DOC.write_text(f"{before}{DOC_START}\n{document(results)}\n{DOC_END}{after}")
        else:
            print(f"{DOC} has no {DOC_START} marker: the figures are in {arguments.output}")
    chosen = results["methods"][engine.DEFAULT_METHOD]
    slow = max(t["ms"] for t in chosen["time_200"].values())
    return 0 if slow < 1000 else 1


if __name__ == "__main__":
    sys.exit(main())
