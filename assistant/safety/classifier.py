"""The trained crisis classifier: two linear models, averaged, read from ``model.npz``.

One reads the message's vector from the crisis check's model (MiniLM with the
LoRA adapter in ``adapter/`` merged in, tuned on the labels together with this
head); the other reads character n-grams, which carry slang, typos and
spelling games that a sentence vector blurs. The weights come from
``python -m assistant.safety.training`` over ``training/crisis/``; nothing
here trains.

The n-gram features are computed here with NumPy rather than by importing
scikit-learn, which costs seconds at start-up; a test checks that they equal
scikit-learn's ``TfidfVectorizer(analyzer="char_wb")`` on the same vocabulary.
"""

from __future__ import annotations

import functools
import math
import re
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

MODEL_FILE = Path(__file__).with_name("model.npz")
ADAPTER_DIR = Path(__file__).with_name("adapter")  # the crisis check's adapter to the search model
_SPACE = re.compile(r"\s\s+")


def char_wb_ngrams(text: str, low: int, high: int) -> list[str]:
    """Character n-grams inside word boundaries, each word padded with a space (scikit-learn's ``char_wb``).

    >>> char_wb_ngrams("ok go", 2, 3)
    [' o', 'ok', 'k ', ' ok', 'ok ', ' g', 'go', 'o ', ' go', 'go ']
    """
    grams = []
    for word in _SPACE.sub(" ", text.lower()).split():
        padded = f" {word} "
        for n in range(low, high + 1):
            grams += [padded[i : i + n] for i in range(len(padded) - n + 1)]
            if len(padded) <= n:
                break
    return grams


@dataclass(frozen=True, kw_only=True)
class Classifier:
    vector_coef: np.ndarray
    vector_intercept: float
    vocabulary: dict[str, int]
    idf: np.ndarray
    ngram_coef: np.ndarray
    ngram_intercept: float
    ngram_range: tuple[int, int]
    concern_threshold: float
    crisis_threshold: float
    training_digest: str
    adapter_digest: str = ""  # the adapter the vector head was trained with
    # Rule families precise enough on the labelled lines to be a floor on their own (see training.floor_families).
    floor_families: tuple[str, ...] = ()
    # Each labelled safe line's score from a model that never saw its batch: what the thresholds are taken from.
    out_of_batch_safe: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.float32))
    # Whether each clause of a sentence is read alone too (training.build chooses the reading that flags more
    # out-of-batch crisis lines at the thresholds it gives).
    by_clause: bool = False

    def ngram_features(self, text: str) -> dict[int, float]:
        """Sublinear tf times idf, L2-normalised, as a sparse row."""
        counts = Counter(self.vocabulary[g] for g in char_wb_ngrams(text, *self.ngram_range) if g in self.vocabulary)
        row = {i: (1.0 + math.log(c)) * float(self.idf[i]) for i, c in counts.items()}
        norm = math.sqrt(sum(v * v for v in row.values())) or 1.0
        return {i: v / norm for i, v in row.items()}

    def probabilities(self, texts: Sequence[str], vectors: Sequence[Sequence[float]]) -> list[float]:
        """The crisis probability of each text, given its embedding."""
        matrix = np.asarray(vectors, dtype=np.float32)
        vector_logits = matrix @ self.vector_coef + self.vector_intercept
        scores = []
        for text, logit in zip(texts, vector_logits, strict=True):
            features = self.ngram_features(text)
            ngram_logit = sum(self.ngram_coef[i] * v for i, v in features.items()) + self.ngram_intercept
            scores.append(0.5 * (_sigmoid(float(logit)) + _sigmoid(float(ngram_logit))))
        return scores


def _sigmoid(x: float) -> float:
    return 1.0 / (1.0 + math.exp(-x)) if x >= 0 else math.exp(x) / (1.0 + math.exp(x))


def save(classifier: Classifier, path: Path = MODEL_FILE) -> None:
    terms = sorted(classifier.vocabulary, key=classifier.vocabulary.__getitem__)
    np.savez_compressed(
        path,
        vector_coef=classifier.vector_coef.astype(np.float32),
        vector_intercept=np.float32(classifier.vector_intercept),
        terms=np.array(terms),
        idf=classifier.idf.astype(np.float32),
        ngram_coef=classifier.ngram_coef.astype(np.float32),
        ngram_intercept=np.float32(classifier.ngram_intercept),
        ngram_range=np.array(classifier.ngram_range),
        thresholds=np.array([classifier.concern_threshold, classifier.crisis_threshold]),
        training_digest=np.array(classifier.training_digest),
        adapter_digest=np.array(classifier.adapter_digest),
        floor_families=np.array(classifier.floor_families, dtype=str),
        out_of_batch_safe=classifier.out_of_batch_safe.astype(np.float32),
        by_clause=np.array(classifier.by_clause),
    )


@functools.cache
def load(path: Path = MODEL_FILE) -> Classifier:
    with np.load(path) as data:
        return Classifier(
            vector_coef=data["vector_coef"],
            vector_intercept=float(data["vector_intercept"]),
            vocabulary={str(t): i for i, t in enumerate(data["terms"])},
            idf=data["idf"],
            ngram_coef=data["ngram_coef"],
            ngram_intercept=float(data["ngram_intercept"]),
            ngram_range=(int(data["ngram_range"][0]), int(data["ngram_range"][1])),
            concern_threshold=float(data["thresholds"][0]),
            crisis_threshold=float(data["thresholds"][1]),
            training_digest=str(data["training_digest"]),
            adapter_digest=str(data["adapter_digest"]) if "adapter_digest" in data else "",
            floor_families=tuple(str(f) for f in data["floor_families"]) if "floor_families" in data else (),
            out_of_batch_safe=data["out_of_batch_safe"] if "out_of_batch_safe" in data else np.zeros(0, np.float32),
            by_clause=bool(data["by_clause"]) if "by_clause" in data else False,
        )
