"""The base tier's classifier: character 2-5-gram TF-IDF features and a logistic
regression, trained offline (bench/injection_train.py) on public labelled sets, its weights
shipped in injection_model.json and scored here in pure Python.

No numpy, no network: a prompt's score is a sparse dot product over the n-grams the model
knows, well under a millisecond for a few KB. The features match scikit-learn's
`TfidfVectorizer(analyzer="char", lowercase=True)`: runs of whitespace become one space,
each n-gram's count is weighted by its idf, and the vector is L2-normalised over the
features the model keeps.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from dataclasses import dataclass
from importlib import resources
from typing import Any

import orjson

MODEL_FILE = "injection_model.json"
_WHITESPACE_RUNS = re.compile(r"\s\s+")


@dataclass(frozen=True, slots=True)
class InjectionModel:
    min_n: int
    max_n: int
    weights: dict[str, tuple[float, float]]  # n-gram -> (idf, coefficient)
    intercept: float
    threshold: float  # the default: a probability at or over it is a threat
    trained_on: dict[str, Any]  # where the weights come from, for the docs and the bench

    def probability(self, text: str) -> float:
        """The model's probability that `text` is an injection or jailbreak attempt."""
        return 1.0 / (1.0 + math.exp(-self._margin(text)))

    def _margin(self, text: str) -> float:
        text = _WHITESPACE_RUNS.sub(" ", text.lower())
        counts: Counter[str] = Counter()
        size = len(text)
        for n in range(self.min_n, min(self.max_n, size) + 1):
            counts.update(text[i : i + n] for i in range(size - n + 1))
        dot = 0.0
        squares = 0.0
        weights = self.weights
        for gram, count in counts.items():
            known = weights.get(gram)
            if known is not None:
                value = count * known[0]
                dot += value * known[1]
                squares += value * value
        if squares == 0.0:
            return self.intercept
        return dot / math.sqrt(squares) + self.intercept


def model_from_json(data: bytes) -> InjectionModel:
    """A model from its JSON document; ValueError when it is not one."""
    doc = orjson.loads(data)
    if not isinstance(doc, dict) or doc.get("format") != 1:
        raise ValueError("not an injection model (format 1)")
    min_n, max_n = doc["ngram_range"]
    weights = {gram: (float(pair[0]), float(pair[1])) for gram, pair in doc["features"].items()}
    return InjectionModel(
        int(min_n),
        int(max_n),
        weights,
        float(doc["intercept"]),
        float(doc["threshold"]),
        dict(doc.get("trained_on", {})),
    )


def load_model() -> InjectionModel:
    """The model shipped inside the package."""
    data = resources.files(__package__).joinpath(MODEL_FILE).read_bytes()
    return model_from_json(data)
