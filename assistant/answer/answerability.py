"""Whether a question asks something its source answers at all, or only something near its topic.

A question about self-esteem, an exercise for tonight or a named researcher's
model lies close to an essay on self-compassion: its best passage is as
similar as a real answer's, so no similarity threshold tells the two apart
(README, Quality). A small classifier does: a logistic regression over the
question's vector (the same model call as the search), trained per source
on questions that source answers (its passage questions and the answerable
part of ``training/refusal/calibration.jsonl``) against questions it does
not (the near-topic and far part). Its threshold comes from cross-validation
on the training questions alone: the score that keeps 98% of the calibration
set's answerable questions.

The weights sit beside the corpus, ``passage-questions/<source id>.answerability.npz``,
built by ``python -m assistant.answer.answerability``; a source without
them (a reader's own files) is never vetoed. A test fails when the training
files change and the weights were not rebuilt.
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

from assistant.ingest.questions import QUESTIONS_DIR

log = logging.getLogger(__name__)

ROOT = Path(__file__).resolve().parents[2]
CALIBRATION = ROOT / "training" / "refusal" / "calibration.jsonl"
SUFFIX = ".answerability.npz"
# Share of answerable training questions (out of fold) the check may refuse.
FALSE_REFUSAL_SHARE = 0.02
REGULARISATION = 10.0  # C of the logistic regression, chosen by cross-validation on the training questions


@dataclass(frozen=True)
class Answerability:
    weights: np.ndarray
    bias: float
    threshold: float
    digest: str  # of the training files, to notice stale weights

    def probability(self, vector: Sequence[float]) -> float:
        """How likely the question whose vector this is asks something the source answers."""
        z = float(np.dot(self.weights, np.asarray(vector, dtype=np.float32))) + self.bias
        return float(1.0 / (1.0 + np.exp(-z)))

    def answers(self, vector: Sequence[float]) -> bool:
        return self.probability(vector) >= self.threshold


def model_path(corpus_dir: Path, source_id: str) -> Path:
    return corpus_dir / QUESTIONS_DIR / f"{source_id}{SUFFIX}"


def load(path: Path) -> Answerability | None:
    """The check stored at ``path``, or None when there is none (or it cannot be read, which is logged)."""
    try:
        with np.load(path) as data:
            return Answerability(
                weights=data["weights"].astype(np.float32), bias=float(data["bias"]),
                threshold=float(data["threshold"]), digest=str(data["digest"]),
            )  # fmt: skip
    except FileNotFoundError:
        return None
    except (OSError, KeyError, ValueError) as e:
        log.warning("answerability check unreadable path=%s error=%s", path, e)
        return None


def save(model: Answerability, path: Path) -> None:
    np.savez(path, weights=model.weights, bias=model.bias, threshold=model.threshold, digest=model.digest)


# -- training ----------------------------------------------------------------------------------------


def training_questions(corpus_dir: Path, source_id: str) -> tuple[list[str], list[bool], list[bool]]:
    """The questions the check for ``source_id`` learns from, whether each is answered by it, and whether it
    is a reader's question from the calibration set (rather than a passage question)."""
    import tomllib

    questions: list[str] = []
    answerable: list[bool] = []
    realistic: list[bool] = []
    path = corpus_dir / QUESTIONS_DIR / f"{source_id}.toml"
    for passage in tomllib.loads(path.read_text(encoding="utf-8")).get("passage", []):
        for question in passage.get("questions", []):
            questions.append(question)
            answerable.append(True)
            realistic.append(False)
    for line in CALIBRATION.read_text(encoding="utf-8").splitlines():
        if line.strip():
            row = json.loads(line)
            questions.append(row["question"])
            answerable.append(row["label"] == "answerable")
            realistic.append(True)
    return questions, answerable, realistic


def digest(corpus_dir: Path, source_id: str) -> str:
    h = hashlib.sha256()
    for path in (corpus_dir / QUESTIONS_DIR / f"{source_id}.toml", CALIBRATION):
        h.update(path.read_bytes())
    return h.hexdigest()


def train(
    questions: Sequence[str],
    answerable: Sequence[bool],
    embed: Callable[[list[str]], list[list[float]]],
    stamp: str,
    realistic: Sequence[bool] | None = None,
) -> Answerability:
    """Fit the check; its threshold keeps ``1 - FALSE_REFUSAL_SHARE`` of the ``realistic`` answerable
    questions out of fold (all of them when None). Passage questions are each written for one passage and
    are easier than a reader's; the calibration set's answerable questions set the bar."""
    from sklearn.linear_model import LogisticRegression
    from sklearn.model_selection import StratifiedKFold, cross_val_predict

    x = np.asarray(embed(list(questions)), dtype=np.float32)
    y = np.asarray(answerable, dtype=bool)

    def model() -> LogisticRegression:
        return LogisticRegression(C=REGULARISATION, max_iter=5000, class_weight="balanced")

    folds = StratifiedKFold(5, shuffle=True, random_state=0)
    out_of_fold = cross_val_predict(model(), x, y, cv=folds, method="predict_proba")[:, 1]
    bar = y & np.asarray(realistic if realistic is not None else [True] * len(y), dtype=bool)
    threshold = float(np.quantile(out_of_fold[bar], FALSE_REFUSAL_SHARE))
    fitted = model().fit(x, y)
    log.info(
        "answerability questions=%d answerable=%d threshold=%.3f out-of-fold refused: realistic answerable %.3f, "
        "all answerable %.3f, others %.3f", len(y), int(y.sum()), threshold,
        float(np.mean(out_of_fold[bar] < threshold)), float(np.mean(out_of_fold[y] < threshold)),
        float(np.mean(out_of_fold[~y] < threshold)),
    )  # fmt: skip
    return Answerability(fitted.coef_[0].astype(np.float32), float(fitted.intercept_[0]), threshold, stamp)


def main(source_id: str = "healing-from-within") -> None:
    logging.basicConfig(level=logging.INFO, format="%(message)s", stream=sys.stderr)
    from assistant.index.embeddings import Embedder

    corpus_dir = ROOT / "corpus"
    questions, answerable, realistic = training_questions(corpus_dir, source_id)
    embed = Embedder("torch").embed_documents
    model = train(questions, answerable, embed, digest(corpus_dir, source_id), realistic)
    path = model_path(corpus_dir, source_id)
    save(model, path)
    print(f"wrote {path.relative_to(ROOT)} (threshold {model.threshold:.3f}, {len(questions)} questions)")


if __name__ == "__main__":
    main(*sys.argv[1:])
