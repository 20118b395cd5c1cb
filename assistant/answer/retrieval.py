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
import math
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any, Literal

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
    """BM25 (Okapi) over the chunks of one index generation, kept as an inverted index.

    The scores are those of ``rank_bm25.BM25Okapi`` (k1 1.5, b 0.75, the idf
    of words in more than half the chunks floored at a quarter of the mean
    idf), to the last bit; but a question costs in proportion to the chunks
    that hold its words, not to every chunk of the corpus, which keeps BM25 a
    few milliseconds at a hundred thousand chunks. Built once per generation,
    from the catalog's chunk texts; no file is read again.
    """

    K1, B, EPSILON = 1.5, 0.75, 0.25

    def __init__(self, ids: Sequence[str], texts: Iterable[str]) -> None:
        import numpy as np

        self.ids = list(ids)
        self._position = {cid: i for i, cid in enumerate(self.ids)}
        size = len(self.ids)
        self._vocabulary: dict[str, int] = {}  # word -> term number, in order of first appearance
        terms: list[int] = []
        chunks: list[int] = []
        lengths: list[int] = []
        for position, text in enumerate(texts):
            words_ = tokenize(text)
            lengths.append(len(words_))
            terms.extend(self._vocabulary.setdefault(w, len(self._vocabulary)) for w in words_)
            chunks.extend([position] * len(words_))
        # Postings: for each term, the chunks that hold it (ascending) and how often.
        keys = np.asarray(terms, dtype=np.int64) * max(size, 1) + np.asarray(chunks, dtype=np.int64)
        pairs, counts = np.unique(keys, return_counts=True)
        self._chunks = (pairs % max(size, 1)).astype(np.int64)
        self._counts = counts.astype(np.int64)
        self._bounds = np.searchsorted(pairs // max(size, 1), np.arange(len(self._vocabulary) + 1))
        frequency = np.diff(self._bounds)
        self._idf: dict[str, float] = {}
        total, negative = 0.0, []
        for word, term in self._vocabulary.items():
            idf = math.log(size - int(frequency[term]) + 0.5) - math.log(int(frequency[term]) + 0.5)
            self._idf[word] = idf
            total += idf
            if idf < 0:
                negative.append(word)
        floor = self.EPSILON * (total / len(self._idf)) if self._idf else 0.0
        for word in negative:
            self._idf[word] = floor
        average = sum(lengths) / size if size else 0.0
        # Each chunk's length normalisation, as rank_bm25 computes it per query.
        self._norm = self.K1 * (1 - self.B + self.B * np.asarray(lengths, dtype=np.int64) / (average or 1.0))

    def _postings(self, word: str) -> tuple[Any, Any]:
        term = self._vocabulary[word]
        start, end = self._bounds[term], self._bounds[term + 1]
        return self._chunks[start:end], self._counts[start:end]

    def _holds(self, word: str, position: int) -> bool:
        import numpy as np

        if word not in self._vocabulary:
            return False
        chunks, _ = self._postings(word)
        at = int(np.searchsorted(chunks, position))
        return at < len(chunks) and int(chunks[at]) == position

    def shares_rare_word(self, query: str, chunk_id: str, max_share: float = 0.25) -> bool:
        """Whether the chunk has a query word found in at most ``max_share`` of all chunks.

        >>> index = LexicalIndex(["a", "b", "c", "d", "e"], ["kind heart", "kind mind", "kind body", "kind soul", "kind"])
        >>> index.shares_rare_word("a gentle heart", "a"), index.shares_rare_word("be kind", "a")
        (True, False)
        """
        position = self._position.get(chunk_id)
        if position is None:
            return False
        limit = max(1, int(max_share * len(self.ids)))
        return any(self._holds(w, position) and len(self._postings(w)[0]) <= limit for w in set(tokenize(query)))

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
        words_ = set(tokenize(query))
        position = self._position.get(chunk_id)
        if position is None or not words_:
            return 0.0
        rarest = max(self._idf.values(), default=1.0)
        weight = {w: max(self._idf.get(w, rarest), 0.0) for w in words_}
        total = sum(weight.values())
        return sum(weight[w] for w in words_ if self._holds(w, position)) / total if total else 0.0

    def search(self, query: str, n: int) -> list[tuple[str, float]]:
        """(chunk id, score in 0..1) of the ``n`` best chunks with any query word.

        >>> index = LexicalIndex(list("abcde"), ["gentle heart", "kind mind", "kind heart", "calm body", "rest"])
        >>> [cid for cid, _ in index.search("kind heart", 2)]
        ['c', 'a']
        """
        import numpy as np

        terms = tokenize(query)
        if not self.ids or not terms:
            return []
        scores = np.zeros(len(self.ids))
        for term in terms:  # a repeated word counts again, as in rank_bm25
            if term in self._vocabulary:
                chunks, counts = self._postings(term)
                scores[chunks] += self._idf[term] * (counts * (self.K1 + 1) / (counts + self._norm[chunks]))
        ceiling = sum(max(self._idf.get(t, 0.0), 0.0) for t in set(terms)) * (self.K1 + 1) or 1.0
        found = np.flatnonzero(scores > 0)
        # Best first; equal scores in chunk order.
        order = found[np.lexsort((found, -scores[found]))][:n]
        return [(self.ids[i], min(1.0, float(scores[i]) / ceiling)) for i in order]


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
        embed: Callable[[list[str]], Any],
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
