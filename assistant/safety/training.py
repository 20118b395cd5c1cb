"""Build ``model.npz`` from the labelled lines in ``training/crisis/``: ``python -m assistant.safety.training``.

Deterministic: the same files give the same weights. The thresholds come
from the training data alone: every batch is scored by a model trained on
the other batches (each batch was written by a different writer, so this
measures wording the model has not seen), and the thresholds are the scores
that flag a set share of those out-of-batch safe lines. No evaluation set is
read here.
"""

from __future__ import annotations

import hashlib
import json
import logging
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from assistant.safety.classifier import MODEL_FILE, Classifier, save

log = logging.getLogger(__name__)

TRAINING_DIR = Path(__file__).resolve().parents[2] / "training" / "crisis"
NGRAM_RANGE = (2, 5)
# Shares of out-of-batch safe lines each tier may flag.
CONCERN_SHARE = 0.08
CRISIS_SHARE = 0.025


@dataclass(frozen=True)
class Example:
    text: str
    history: tuple[str, ...]
    crisis: bool
    batch: str
    category: str


def load_examples(folder: Path = TRAINING_DIR) -> list[Example]:
    examples = []
    for path in sorted(folder.glob("*.jsonl")):
        for line in path.read_text(encoding="utf-8").splitlines():
            if line.strip():
                row = json.loads(line)
                examples.append(
                    Example(
                        text=row["text"], history=tuple(row.get("history") or ()), crisis=row["label"] == "crisis",
                        batch=path.stem, category=row.get("category") or row.get("note") or "",
                    )
                )  # fmt: skip
    return examples


def digest(folder: Path = TRAINING_DIR) -> str:
    """A hash of the training files, stored with the weights so that stale weights are noticed."""
    h = hashlib.sha256()
    for path in sorted(folder.glob("*.jsonl")):
        h.update(path.name.encode())
        h.update(path.read_bytes())
    return h.hexdigest()


def training_text(example: Example) -> str:
    """What one labelled line teaches: the message, read after the last two earlier turns."""
    return " ".join([*example.history[-2:], example.text])


def fit(texts: Sequence[str], vectors: np.ndarray, labels: np.ndarray, digest_value: str = "") -> Classifier:
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.linear_model import LogisticRegression

    vector_model = LogisticRegression(C=4.0, max_iter=5000, class_weight="balanced").fit(vectors, labels)
    vectorizer = TfidfVectorizer(
        analyzer="char_wb", ngram_range=NGRAM_RANGE, min_df=2, sublinear_tf=True, max_features=40000
    )
    ngrams = vectorizer.fit_transform(texts)
    ngram_model = LogisticRegression(C=8.0, max_iter=5000, class_weight="balanced").fit(ngrams, labels)
    return Classifier(
        vector_coef=vector_model.coef_[0].astype(np.float32),
        vector_intercept=float(vector_model.intercept_[0]),
        vocabulary={str(k): int(v) for k, v in vectorizer.vocabulary_.items()},
        idf=vectorizer.idf_.astype(np.float32),
        ngram_coef=ngram_model.coef_[0].astype(np.float32),
        ngram_intercept=float(ngram_model.intercept_[0]),
        ngram_range=NGRAM_RANGE,
        concern_threshold=0.5,
        crisis_threshold=0.5,
        training_digest=digest_value,
    )


def out_of_batch_scores(
    examples: Sequence[Example], embed: Callable[[list[str]], list[list[float]]], score_units
) -> np.ndarray:
    """Each example's score from a model that never saw its batch."""
    texts = [training_text(e) for e in examples]
    vectors = np.asarray(embed(texts), dtype=np.float32)
    labels = np.array([e.crisis for e in examples])
    batches = np.array([e.batch for e in examples])
    scores = np.zeros(len(examples))
    for batch in sorted(set(batches)):
        held = batches == batch
        model = fit([t for t, h in zip(texts, held, strict=True) if not h], vectors[~held], labels[~held])
        for i in np.flatnonzero(held):
            scores[i] = score_units(model, examples[int(i)])
    return scores


def build(embed: Callable[[list[str]], list[list[float]]], folder: Path = TRAINING_DIR) -> Classifier:
    from assistant.safety.check import classifier_score

    examples = load_examples(folder)
    labels = np.array([e.crisis for e in examples])

    def score_units(model: Classifier, example: Example) -> float:
        return classifier_score(model, example.text, example.history, embed)[0]

    scores = out_of_batch_scores(examples, embed, score_units)
    safe = scores[~labels]
    concern = float(np.quantile(safe, 1 - CONCERN_SHARE))
    crisis = float(np.quantile(safe, 1 - CRISIS_SHARE))
    log.info("thresholds concern=%.3f crisis=%.3f", concern, crisis)
    texts = [training_text(e) for e in examples]
    model = fit(texts, np.asarray(embed(texts), dtype=np.float32), labels, digest(folder))
    return Classifier(**{**model.__dict__, "concern_threshold": concern, "crisis_threshold": crisis})


def main() -> None:
    logging.basicConfig(level=logging.INFO, format="%(message)s", stream=sys.stderr)
    from assistant.index.embeddings import Embedder

    embedder = Embedder("torch")  # the original weights; the ONNX export gives the same vectors to about 1e-6
    cache: dict[str, list[float]] = {}

    def embed(texts: list[str]) -> list[list[float]]:
        missing = [t for t in dict.fromkeys(texts) if t not in cache]
        if missing:
            cache.update(zip(missing, embedder.embed_documents(missing), strict=True))
        return [cache[t] for t in texts]

    classifier = build(embed)
    save(classifier)
    print(
        f"wrote {MODEL_FILE} (concern threshold {classifier.concern_threshold:.3f}, "
        f"crisis threshold {classifier.crisis_threshold:.3f}, {len(classifier.vocabulary)} n-grams)"
    )


if __name__ == "__main__":
    main()
