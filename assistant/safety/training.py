"""Build the crisis classifier from the labelled lines in ``training/crisis/``: ``python -m assistant.safety.training``.

Two parts are trained. The search's MiniLM model is tuned on the labels with
a LoRA adapter (rank 16 on every linear layer of the six, about 0.7 M
weights: ``assistant/safety/adapter/``, committed) and a linear head on its
unit-length mean-pooled vector; a logistic regression reads character
n-grams. The app merges the adapter into the model at install time
(``assistant export-model``); nothing trains at run time.

Deterministic on one machine: fixed seeds, fixed order. The thresholds come
from the training data alone: every batch is scored by a model trained
without it (each batch was written by a different writer, so this measures
wording the model has not seen), and the thresholds are the scores that
flag a set share of those out-of-batch safe lines. By default each batch is
left out in turn (the shipped weights); ``--groups N`` deals the batches
into N groups of about the same size instead, each scored by a model tuned
on the others, which takes N tunings instead of one per batch (a trial
run: its thresholds sit a little lower, each model having seen less).
Whether each clause of a sentence is read
alone too is chosen from the same scores: both readings are scored, and
clauses are read only where that flags more of the out-of-batch crisis lines
at the thresholds it gives. No evaluation set is read here. A run takes
about an hour on two cores with ``--groups 4`` (five tunings), about two
hours by default (one tuning per batch left out, and the final one).
"""

from __future__ import annotations

import hashlib
import json
import logging
import shutil
import sys
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import numpy as np

from assistant.index.embeddings import MODEL_NAME, adapter_digest, bundled_model_path
from assistant.safety.classifier import ADAPTER_DIR, MODEL_FILE, Classifier, save

log = logging.getLogger(__name__)

TRAINING_DIR = Path(__file__).resolve().parents[2] / "training" / "crisis"
NGRAM_RANGE = (2, 5)
# Shares of out-of-batch safe lines each tier may flag: the near-miss budgets (at most 0.10 false concern and
# 0.03 false crisis, so 0.13 flagged at either level), less a margin.
CONCERN_SHARE = 0.12
CRISIS_SHARE = 0.025
# A rule family is a floor on its own (a match is at least concern) when at least this share of the
# labelled lines it matches are crisis lines; a less precise family adds nothing to what the classifier says.
FLOOR_PRECISION = 0.8
# The adapter and how it is tuned.
LORA_RANK = 16
LORA_MODULES = ("query", "key", "value", "attention.output.dense", "intermediate.dense", "output.dense")
EPOCHS = 2
BATCH = 32
LEARNING_RATE = 5e-4  # the adapter's
HEAD_LEARNING_RATE = 1e-2
MAX_TOKENS = 256  # as the model reads at run time
SEED = 0
READINGS = (False, True)  # by sentence, by clause: each scored out of batch, one chosen (choose_reading)


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


def floor_families(examples: Sequence[Example]) -> tuple[str, ...]:
    """The rule families whose matches on the labelled messages are crisis lines at least FLOOR_PRECISION of the time.

    The near-miss lines were written to mirror crisis wording (recovery stories, worry about someone else,
    fiction, denials), which is where a word list goes wrong.
    """
    from assistant.safety.rules import families, matching_families

    matched: dict[str, list[bool]] = {family.name: [] for family in families()}
    for example in examples:
        for name in matching_families(example.text):
            matched[name].append(example.crisis)
    return tuple(name for name, labels in matched.items() if labels and np.mean(labels) >= FLOOR_PRECISION)


def digest(folder: Path = TRAINING_DIR) -> str:
    """A hash of the training files and the rules, stored with the weights so that stale weights are noticed."""
    from assistant.safety.rules import RULES_FILE

    h = hashlib.sha256()
    h.update(RULES_FILE.read_bytes())
    for path in sorted(folder.glob("*.jsonl")):
        h.update(path.name.encode())
        h.update(path.read_bytes())
    return h.hexdigest()


def training_text(example: Example) -> str:
    """What one labelled line teaches: the message, read after the last two earlier turns."""
    return " ".join([*example.history[-2:], example.text])


class Tuned:
    """The model with a LoRA adapter and a linear head, tuned on labelled texts; embeds as the app will."""

    def __init__(self, texts: Sequence[str], labels: np.ndarray, epochs: int = EPOCHS, seed: int = SEED) -> None:
        import torch
        from peft import LoraConfig, get_peft_model
        from transformers import AutoModel, AutoTokenizer

        torch.manual_seed(seed)
        torch.use_deterministic_algorithms(True)
        path = str(bundled_model_path())
        self.tokenizer = AutoTokenizer.from_pretrained(path, local_files_only=True)
        config = LoraConfig(r=LORA_RANK, lora_alpha=2 * LORA_RANK, lora_dropout=0.0, target_modules=list(LORA_MODULES))
        self.model = get_peft_model(AutoModel.from_pretrained(path, local_files_only=True), config)
        self.head = torch.nn.Linear(self.model.config.hidden_size, 1)
        optimiser = torch.optim.AdamW(
            [
                {"params": [p for p in self.model.parameters() if p.requires_grad], "lr": LEARNING_RATE},
                {"params": self.head.parameters(), "lr": HEAD_LEARNING_RATE},
            ]
        )
        target = torch.tensor(labels, dtype=torch.float32)
        share = float(target.mean())
        loss = torch.nn.BCEWithLogitsLoss(pos_weight=torch.tensor((1 - share) / share))  # classes weigh the same
        order = np.random.default_rng(seed)
        self.model.train()
        for _ in range(epochs):
            positions = order.permutation(len(texts))
            for start in range(0, len(positions), BATCH):
                batch = positions[start : start + BATCH]
                logits = self.head(self._vectors([texts[i] for i in batch])).squeeze(-1)
                optimiser.zero_grad()
                loss(logits, target[batch]).backward()
                optimiser.step()
        self.model.eval()

    def _vectors(self, texts: Sequence[str]) -> Any:
        import torch

        batch = self.tokenizer(list(texts), padding=True, truncation=True, max_length=MAX_TOKENS, return_tensors="pt")
        states = self.model(**batch).last_hidden_state
        mask = batch["attention_mask"].unsqueeze(-1).float()
        pooled = (states * mask).sum(1) / mask.sum(1).clamp(min=1e-9)
        return torch.nn.functional.normalize(pooled, dim=-1)

    def embed(self, texts: list[str]) -> list[list[float]]:
        import torch

        with torch.no_grad():
            return [
                row for start in range(0, len(texts), 64) for row in self._vectors(texts[start : start + 64]).tolist()
            ]

    def head_weights(self) -> tuple[np.ndarray, float]:
        return self.head.weight.detach().numpy()[0].astype(np.float32), float(self.head.bias.detach()[0])

    def save_adapter(self, folder: Path) -> None:
        """Write the adapter's weights and settings, and nothing that names this machine."""
        from safetensors.torch import load_file, save_file

        work = Path(tempfile.mkdtemp(prefix=".adapter-", dir=folder.parent))
        try:
            self.model.save_pretrained(str(work))
            (work / "README.md").unlink(missing_ok=True)
            # Stored in half precision: half the size, with the same level for every line of the evaluation sets.
            weights_file = work / "adapter_model.safetensors"
            weights = load_file(str(weights_file))
            save_file({name: tensor.half().contiguous() for name, tensor in weights.items()}, str(weights_file))
            config_file = work / "adapter_config.json"
            config = json.loads(config_file.read_text(encoding="utf-8"))
            config["base_model_name_or_path"] = MODEL_NAME
            config["target_modules"] = sorted(config["target_modules"])  # a set inside peft: its order varies
            config_file.write_text(json.dumps(config, indent=2, sort_keys=True) + "\n", encoding="utf-8")
            if folder.exists():
                shutil.rmtree(folder)
            work.rename(folder)
        finally:
            shutil.rmtree(work, ignore_errors=True)


def fit(
    texts: Sequence[str], labels: np.ndarray, digest_value: str = "", epochs: int = EPOCHS
) -> tuple[Classifier, Tuned]:
    """The tuned model, and the classifier: its head, and a logistic regression on character n-grams."""
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.linear_model import LogisticRegression

    tuned = Tuned(texts, labels, epochs)
    vectorizer = TfidfVectorizer(
        analyzer="char_wb", ngram_range=NGRAM_RANGE, min_df=2, sublinear_tf=True, max_features=40000
    )
    ngrams = vectorizer.fit_transform(texts)
    ngram_model = LogisticRegression(C=8.0, max_iter=5000, class_weight="balanced").fit(ngrams, labels)
    coef, intercept = tuned.head_weights()
    classifier = Classifier(
        vector_coef=coef,
        vector_intercept=intercept,
        vocabulary={str(k): int(v) for k, v in vectorizer.vocabulary_.items()},
        idf=vectorizer.idf_.astype(np.float32),
        ngram_coef=ngram_model.coef_[0].astype(np.float32),
        ngram_intercept=float(ngram_model.intercept_[0]),
        ngram_range=NGRAM_RANGE,
        concern_threshold=0.5,
        crisis_threshold=0.5,
        training_digest=digest_value,
    )
    return classifier, tuned


def folds(sizes: dict[str, int], count: int | None = None) -> dict[str, int]:
    """Each batch's group: its own without ``count``; else the largest batch first, each to the group with the
    fewest lines so far.

    >>> folds({"a": 5, "b": 4, "c": 3, "d": 2, "e": 1}, 2)
    {'a': 0, 'b': 1, 'c': 1, 'd': 0, 'e': 0}
    >>> folds({"b": 4, "a": 5})
    {'a': 0, 'b': 1}
    """
    if count is None:
        return {batch: i for i, batch in enumerate(sorted(sizes))}
    if count < 2:
        raise ValueError("at least two groups: each is scored by a model tuned on the others")
    totals = [0] * count
    group = {}
    for batch in sorted(sizes, key=lambda b: (-sizes[b], b)):
        group[batch] = totals.index(min(totals))
        totals[group[batch]] += sizes[batch]
    return dict(sorted(group.items()))


def out_of_batch_scores(examples: Sequence[Example], groups: int | None = None) -> dict[bool, np.ndarray]:
    """Each example's score from a model that never saw its batch, read as the app reads it: by sentence
    (``False``) and by clause (``True``)."""
    from collections import Counter

    from assistant.safety.check import classifier_score

    texts = [training_text(e) for e in examples]
    labels = np.array([e.crisis for e in examples])
    group = folds(dict(Counter(e.batch for e in examples)), groups)
    of_example = np.array([group[e.batch] for e in examples])
    scores = {by_clause: np.zeros(len(examples)) for by_clause in READINGS}
    for fold in sorted(set(group.values())):
        held = of_example == fold
        model, tuned = fit([t for t, h in zip(texts, held, strict=True) if not h], labels[~held])
        for by_clause in READINGS:
            reading = replace(model, by_clause=by_clause)
            for i in np.flatnonzero(held):
                example = examples[int(i)]
                scores[by_clause][i] = classifier_score(reading, example.text, example.history, tuned.embed)[0]
        log.info("batches %s scored out of batch", ", ".join(b for b, g in group.items() if g == fold))
    return scores


def flagged(scores: np.ndarray, labels: np.ndarray) -> tuple[float, float, float, float]:
    """A reading's thresholds, and the shares of out-of-batch crisis lines at or above each."""
    concern, crisis = thresholds(scores[~labels])
    return concern, crisis, float(np.mean(scores[labels] >= concern)), float(np.mean(scores[labels] >= crisis))


def choose_reading(scores: dict[bool, np.ndarray], labels: np.ndarray) -> bool:
    """Whether to read clauses: only when that flags more out-of-batch crisis lines at its own thresholds (the two
    shares added), which flag the same shares of safe lines; reading by sentence embeds fewer texts.

    >>> labels = np.array([True, True, False, False])
    >>> choose_reading({False: np.array([0.9, 0.2, 0.1, 0.3]), True: np.array([0.9, 0.8, 0.1, 0.3])}, labels)
    True
    """
    gained = {by_clause: sum(flagged(found, labels)[2:]) for by_clause, found in scores.items()}
    return gained[True] > gained[False]


def build(folder: Path = TRAINING_DIR, groups: int | None = None) -> tuple[Classifier, Tuned]:
    from sklearn.metrics import roc_auc_score

    examples = load_examples(folder)
    labels = np.array([e.crisis for e in examples])
    readings = out_of_batch_scores(examples, groups)
    for by_clause, found in readings.items():
        log.info("read by %s: thresholds concern=%.3f crisis=%.3f; out-of-batch crisis lines above them: %.3f, %.3f",
                 "clause" if by_clause else "sentence", *flagged(found, labels))  # fmt: skip
    by_clause = choose_reading(readings, labels)
    scores = readings[by_clause]
    log.info("reading chosen: by %s", "clause" if by_clause else "sentence")
    safe = scores[~labels]
    concern, crisis = thresholds(safe)
    for share in (0.06, 0.08, 0.10, 0.12, 0.14):  # what other shares would give, for the log
        other = threshold_at(safe, share)
        log.info("share %.2f: threshold %.3f, out-of-batch crisis lines above it %.3f", share, other,
                 float(np.mean(scores[labels] >= other)))  # fmt: skip
    batches = np.array([e.batch for e in examples])
    for batch in sorted(set(batches)):
        mine = batches == batch
        if len(set(labels[mine])) == 2:
            log.info("out of batch %s: AUROC %.3f", batch, roc_auc_score(labels[mine], scores[mine]))
        else:  # a batch of one label: how many of its lines each tier would flag
            log.info("out of batch %s: above concern %.3f, above crisis %.3f", batch,
                     float(np.mean(scores[mine] >= concern)), float(np.mean(scores[mine] >= crisis)))  # fmt: skip
    model, tuned = fit([training_text(e) for e in examples], labels, digest(folder))
    floors = floor_families(examples)
    log.info("rule families that are a floor on their own: %s", ", ".join(floors))
    model = replace(
        model, concern_threshold=concern, crisis_threshold=crisis, floor_families=floors,
        out_of_batch_safe=np.sort(safe).astype(np.float32), by_clause=by_clause,
    )  # fmt: skip
    return model, tuned


def threshold_at(out_of_batch_safe: np.ndarray, share: float) -> float:
    """The score that flags ``share`` of the out-of-batch safe lines."""
    return float(np.quantile(out_of_batch_safe, 1 - share))


def thresholds(out_of_batch_safe: np.ndarray) -> tuple[float, float]:
    """The ``concern`` and ``crisis`` thresholds: the scores that flag their shares of the out-of-batch safe lines.

    >>> thresholds(np.linspace(0, 1, 1001))
    (0.88, 0.975)
    """
    return threshold_at(out_of_batch_safe, CONCERN_SHARE), threshold_at(out_of_batch_safe, CRISIS_SHARE)


def main(argv: Sequence[str] | None = None) -> None:
    import argparse

    parser = argparse.ArgumentParser(prog="python -m assistant.safety.training", description=__doc__.split("\n")[0])
    parser.add_argument("--groups", type=int, help="deal the batches into this many groups (default: one per batch)")
    groups = parser.parse_args(argv).groups
    if groups is not None and groups < 2:
        parser.error("--groups needs at least 2")
    logging.basicConfig(level=logging.INFO, format="%(message)s", stream=sys.stderr)
    classifier, tuned = build(groups=groups)
    tuned.save_adapter(ADAPTER_DIR)
    save(replace(classifier, adapter_digest=adapter_digest(ADAPTER_DIR)))
    print(
        f"wrote {ADAPTER_DIR} and {MODEL_FILE} (concern threshold {classifier.concern_threshold:.3f}, "
        f"crisis threshold {classifier.crisis_threshold:.3f}, {len(classifier.vocabulary)} n-grams); "
        "run `assistant export-model` (or `make install`) to use them"
    )


if __name__ == "__main__":
    main()
