"""BM25 over an inverted index gives rank_bm25's scores exactly, at a cost that does not grow with the corpus."""

from __future__ import annotations

import json

import numpy as np
import pytest
from rank_bm25 import BM25Okapi

from assistant.answer.retrieval import LexicalIndex
from assistant.ingest.chunking import chunk_text
from assistant.text import tokenize
from tests.conftest import ROOT


@pytest.fixture(scope="module")
def chunks():
    text = (ROOT / "corpus/healing-from-within.txt").read_text(encoding="utf-8")
    # The article and a few variations of it: many chunks share words, some words fill over half of them.
    texts = [c.text for c in chunk_text(text, 320)]
    texts += [t.replace("self", "kind") for t in texts] + ["self-compassion"] * 5 + ["", "the of and"]
    return [f"c{n}" for n in range(len(texts))], texts


def questions():
    rows = [json.loads(line) for line in (ROOT / "eval/questions.jsonl").read_text(encoding="utf-8").splitlines()]
    return [row["question"] for row in rows if isinstance(row.get("question"), str)] + ["self self compassion", "zebra"]


def test_scores_and_order_are_those_of_rank_bm25(chunks):
    ids, texts = chunks
    ours = LexicalIndex(ids, texts)
    theirs = BM25Okapi([tokenize(t) for t in texts])
    assert ours._idf == theirs.idf
    for question in questions():
        terms = tokenize(question)
        scores = theirs.get_scores(terms)
        expected = [
            ids[i] for i in sorted(range(len(scores)), key=lambda i: scores[i], reverse=True)[:20] if scores[i] > 0
        ]
        found = ours.search(question, 20)
        assert [cid for cid, _ in found] == expected, question
        ceiling = sum(max(theirs.idf.get(t, 0.0), 0.0) for t in set(terms)) * (theirs.k1 + 1) or 1.0
        assert [score for _, score in found] == [min(1.0, float(scores[ids.index(cid)]) / ceiling) for cid in expected]


def test_rarity_and_coverage_follow_the_chunks_that_hold_each_word(chunks):
    ids, texts = chunks
    index = LexicalIndex(ids, texts)
    for question in questions()[:30]:
        words = set(tokenize(question))
        for position in (0, 7, len(ids) - 3):
            held = words & set(tokenize(texts[position]))
            frequency = {w: sum(w in set(tokenize(t)) for t in texts) for w in held}
            rare = any(frequency[w] <= max(1, int(0.25 * len(ids))) for w in held)
            assert index.shares_rare_word(question, ids[position]) == rare
            assert (index.coverage(question, ids[position]) > 0) == bool(held and any(index._idf[w] > 0 for w in held))


def test_an_empty_index_finds_nothing():
    index = LexicalIndex([], [])
    assert index.search("kindness", 5) == [] and index.coverage("kindness", "x") == 0.0
    assert not np.any(index._norm)
