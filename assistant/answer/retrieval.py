"""Hybrid retrieval: dense similarity from Chroma and BM25, fused by rank.

Dense search understands paraphrases ("being gentle with myself" for
"self-compassion"); BM25 catches exact names, dates and rare words that a
small embedding model blurs ("Tucker", "2024"). Reciprocal rank fusion
combines the two rankings without having to calibrate their scores against
each other; BM25 takes part only when the question is in the text's own words
(see ``trust``). The dense cosine of the best passage is kept separately, because
the decision to answer or to say "not found" is taken on it.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Literal

from assistant.index.store import ChunkRecord, Generation, SourceRecord
from assistant.ingest.questions import PassageQuestion
from assistant.text import tokenize, words

Mode = Literal["hybrid", "dense", "lexical"]


def reciprocal_rank_fusion(
    rankings: Sequence[Sequence[str]], k: int = 60, weights: Sequence[float] | None = None
) -> dict[str, float]:
    """Fuse ranked id lists: each list adds weight / (k + rank) to an id.

    >>> fused = reciprocal_rank_fusion([["a", "b"], ["b", "c"]], k=1)
    >>> sorted(fused, key=fused.get, reverse=True)
    ['b', 'a', 'c']
    >>> round(fused["b"], 3)
    0.833
    """
    weights = weights or [1.0] * len(rankings)
    fused: dict[str, float] = {}
    for ranking, weight in zip(rankings, weights, strict=True):
        for rank, item in enumerate(ranking, start=1):
            fused[item] = fused.get(item, 0.0) + weight / (k + rank)
    return fused


class LexicalIndex:
    """BM25 (Okapi) over the chunks of one index generation."""

    def __init__(self, ids: Sequence[str], texts: Iterable[str]) -> None:
        from rank_bm25 import BM25Okapi

        self.ids = list(ids)
        corpus = [tokenize(t) for t in texts]
        self._position = {cid: i for i, cid in enumerate(self.ids)}
        self._terms = [set(words) for words in corpus]
        self._document_frequency: dict[str, int] = {}
        for terms in self._terms:
            for term in terms:
                self._document_frequency[term] = self._document_frequency.get(term, 0) + 1
        # rank_bm25 divides by the corpus size: an empty index has no scores.
        self._bm25 = BM25Okapi(corpus) if corpus else None
        # The best score a query could reach, used to put BM25 scores on a 0..1 scale.
        self._idf = self._bm25.idf if self._bm25 else {}

    def shares_rare_word(self, query: str, chunk_id: str, max_share: float = 0.25) -> bool:
        """Whether the chunk has a query word found in at most ``max_share`` of all chunks.

        >>> index = LexicalIndex(["a", "b", "c", "d", "e"], ["kind heart", "kind mind", "kind body", "kind soul", "kind"])
        >>> index.shares_rare_word("a gentle heart", "a"), index.shares_rare_word("be kind", "a")
        (True, False)
        """
        words = set(tokenize(query))
        position = self._position.get(chunk_id)
        if position is None or not words:
            return False
        limit = max(1, int(max_share * len(self.ids)))
        return any(self._document_frequency.get(w, 0) <= limit for w in words & self._terms[position])

    def coverage(self, query: str, chunk_id: str) -> float:
        """Share of the query's words, weighted by rarity, that the chunk contains.

        A word the corpus never uses counts as the rarest: a question in other
        words than the text's is covered little, whatever it happens to share.

        >>> index = LexicalIndex(["a", "b", "c"], ["gentle heart", "kind mind", "kind body"])
        >>> index.coverage("gentle heart", "a"), index.coverage("kind heart", "b") < 0.5
        (1.0, True)
        >>> index.coverage("a gentle elephant", "a")
        0.5
        """
        words = set(tokenize(query))
        position = self._position.get(chunk_id)
        if position is None or not words:
            return 0.0
        rarest = max(self._idf.values(), default=1.0)
        weight = {w: max(self._idf.get(w, rarest), 0.0) for w in words}
        total = sum(weight.values())
        return sum(weight[w] for w in words & self._terms[position]) / total if total else 0.0

    def search(self, query: str, n: int) -> list[tuple[str, float]]:
        """(chunk id, score in 0..1) of the ``n`` best chunks with any query word."""
        terms = tokenize(query)
        if self._bm25 is None or not terms:
            return []
        scores = self._bm25.get_scores(terms)
        ceiling = sum(max(self._idf.get(t, 0.0), 0.0) for t in set(terms)) * (self._bm25.k1 + 1) or 1.0
        order = sorted(range(len(scores)), key=lambda i: scores[i], reverse=True)[:n]
        return [(self.ids[i], min(1.0, float(scores[i]) / ceiling)) for i in order if scores[i] > 0]


@dataclass(frozen=True, kw_only=True)
class Hit:
    """A retrieved chunk with its scores."""

    chunk: ChunkRecord
    source: SourceRecord
    dense: float  # cosine similarity to the query, or to its closest passage question if higher; 0 when not found
    direct: float = 0.0  # cosine similarity of the passage's own text to the query (0 when not found)
    asked: float = 0.0  # cosine similarity of the closest passage question written for it (0 when none)
    lexical: float  # BM25 on a 0..1 scale, 0 when absent
    fused: float


def fuse(
    dense: Sequence[tuple[str, float]],
    lexical: Sequence[tuple[str, float]],
    mode: Mode = "hybrid",
    lexical_weight: float = 0.5,
    k: int = 60,
) -> list[tuple[str, float]]:
    """Order chunk ids for the given retrieval mode, best first.

    >>> fuse([("a", 0.9), ("b", 0.8)], [("b", 0.7)], k=1)[0][0]
    'b'
    >>> fuse([("a", 0.9), ("b", 0.8)], [("b", 0.7)], mode="dense")[0][0]
    'a'
    """
    if mode == "dense":
        return list(dense)
    if mode == "lexical":
        return list(lexical)
    fused = reciprocal_rank_fusion([[i for i, _ in dense], [i for i, _ in lexical]], k=k, weights=[1.0, lexical_weight])
    return sorted(fused.items(), key=lambda item: item[1], reverse=True)


def trust(coverage: float, full: float) -> float:
    """Weight of the word ranking, from how much of the question its best passage covers.

    A question in the text's own words ("What do we often reserve for
    others?") is covered by one passage almost entirely, and the words find
    it. A question in other words covers little of any passage; then BM25
    ranks by whichever common words happen to match ("myself", "better"),
    which only pulls the dense ranking away from the meaning.

    >>> trust(0.8, 0.5), trust(0.2, 0.5), trust(0.2, 0.0)
    (1.0, 0.0, 1.0)
    """
    return 1.0 if coverage >= full else 0.0


class QuestionIndex:
    """Passage questions (:mod:`assistant.ingest.questions`) with their vectors, each pointing at the chunks
    that hold its passage: a reader's question scores a chunk by the closest question written for it."""

    def __init__(
        self,
        questions: Sequence[PassageQuestion],
        chunks: Iterable[ChunkRecord],
        embed: Callable[[list[str]], list[list[float]]],
    ) -> None:
        import numpy as np

        by_source: dict[str, list[ChunkRecord]] = {}
        for chunk in chunks:
            by_source.setdefault(chunk.source_id, []).append(chunk)
        texts: list[str] = []
        self._owners: list[tuple[str, ...]] = []
        for q in questions:
            owners = tuple(c.id for c in by_source.get(q.source_id, ()) if c.start < q.end and q.start < c.end)
            if owners:
                texts.append(q.question)
                self._owners.append(owners)
        self._vectors = np.asarray(embed(texts), dtype=np.float32) if texts else None

    def __len__(self) -> int:
        return len(self._owners)

    def scores(self, vector: Sequence[float]) -> dict[str, float]:
        """Chunk id -> cosine similarity of ``vector`` to the closest question written for that chunk."""
        import numpy as np

        if self._vectors is None:
            return {}
        best: dict[str, float] = {}
        similarities = (self._vectors @ np.asarray(vector, dtype=np.float32)).tolist()
        for similarity, owners in zip(similarities, self._owners, strict=True):
            for cid in owners:
                if similarity > best.get(cid, -1.0):
                    best[cid] = similarity
        return best


def lift(dense: Sequence[tuple[str, float]], asked: dict[str, float], n: int) -> list[tuple[str, float]]:
    """Each chunk's similarity raised to that of its closest passage question, best first, at most ``n``.

    >>> lift([("a", 0.5), ("b", 0.4)], {"b": 0.7, "c": 0.45}, 2)
    [('b', 0.7), ('a', 0.5)]
    """
    merged = dict(dense)
    for cid, similarity in asked.items():
        if similarity > merged.get(cid, -1.0):
            merged[cid] = similarity
    return sorted(merged.items(), key=lambda item: item[1], reverse=True)[:n]


class Retriever:
    """Retrieval over one generation; rebuilt when the generation changes."""

    def __init__(
        self, generation: Generation, embed_query, passage_text, questions: QuestionIndex | None = None
    ) -> None:
        self.generation = generation
        self._embed_query = embed_query
        self.questions = questions
        self.chunks = {c.id: c for c in generation.chunks()}
        self.sources = {s.id: s for s in generation.sources()}
        self.lexical = LexicalIndex(
            list(self.chunks), (passage_text(c, self.sources[c.source_id]) for c in self.chunks.values())
        )

    def source_chunks(self, source_id: str) -> list[ChunkRecord]:
        """The chunks of one source, in text order."""
        return self._by_source.get(source_id, [])

    @functools.cached_property
    def _by_source(self) -> dict[str, list[ChunkRecord]]:
        grouped: dict[str, list[ChunkRecord]] = {}
        for chunk in sorted(self.chunks.values(), key=lambda c: (c.source_id, c.start)):
            grouped.setdefault(chunk.source_id, []).append(chunk)
        return grouped

    @functools.cached_property
    def vocabulary(self) -> frozenset[str]:
        """Every word the sources use, to tell a name they never mention."""
        return frozenset(
            word
            for source in self.sources.values()
            for text in (source.text, source.title, source.author)
            for word in words(text)
        )

    def search(
        self, query: str, n: int, mode: Mode = "hybrid", lexical_weight: float = 0.5, lexical_trust: float = 0.0
    ) -> list[Hit]:
        dense: list[tuple[str, float]] = []
        direct: dict[str, float] = {}
        asked: dict[str, float] = {}
        if mode != "lexical":
            vector = self._embed_query(query)
            dense = self.generation.query(vector, n)
            direct = dict(dense)
            if self.questions:
                asked = self.questions.scores(vector)
                dense = lift(dense, asked, n)
        lexical = self.lexical.search(query, n) if mode != "dense" else []
        if mode == "hybrid" and lexical:
            lexical_weight *= trust(self.lexical.coverage(query, lexical[0][0]), lexical_trust)
        dense_scores, lexical_scores = dict(dense), dict(lexical)
        hits = []
        for cid, score in fuse(dense, lexical, mode, lexical_weight):
            chunk = self.chunks.get(cid)
            if chunk is None:  # pragma: no cover - Chroma and catalog are written together
                continue
            hits.append(
                Hit(
                    chunk=chunk,
                    source=self.sources[chunk.source_id],
                    dense=dense_scores.get(cid, 0.0),
                    direct=direct.get(cid, 0.0),
                    asked=asked.get(cid, 0.0),
                    lexical=lexical_scores.get(cid, 0.0),
                    fused=score,
                )
            )
        return hits
