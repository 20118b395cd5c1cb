"""Verification of generated sentences: each must cite a passage it was given and be supported by it.

A generated reply is cut into sentences as it streams (``SentenceSplitter``);
each sentence's ``[n]`` markers are read, markers to passages the model was
not given are removed, and the sentence is checked against the passages it
cites (``Verifier``). Support is measured twice, and both must pass:

- **overlap**: the share of the sentence's content words (stemmed, stopwords
  out) that the cited passages contain. It catches invented facts, names and
  advice, whose words are not there.
- **similarity**: the cosine similarity, with the shipped embedding model,
  between the sentence and the closest passage it cites. It catches
  sentences that borrow a passage's words to say something else.

Every number in the sentence must also appear in a cited passage. The
thresholds are settings, calibrated on the question sets by ``assistant
eval`` (see README). Not handled: negation ("X does not help" against "X
helps" shares words and meaning), and claims that combine two passages into
something neither says.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import numpy as np

from assistant.text import tokenize

_NUMBER_LIST = r"\d{1,3}(?:\s*(?:,|;|and|&|-|–)\s*(?:passages?\s*|sources?\s*)?\d{1,3})*"
MARKER = re.compile(r"\[\s*(?:passages?|sources?|p\.?)?\s*(" + _NUMBER_LIST + r")\s*\]", re.IGNORECASE)
_END = re.compile(r"[.!?…]+[\"'”’)]*(?:[ \t]*\[[^\[\]\n]{1,40}\])*|\n")
_BULLET = re.compile(r"^\s*(?:[-*•]|\d{1,2}[.)])\s+")
_ABBREVIATIONS = frozenset({"e.g", "i.e", "etc", "vs", "dr", "mr", "mrs", "ms", "prof", "cf", "al", "st"})
_DIGITS = re.compile(r"\d+(?:[.,]\d+)?")


def markers(sentence: str) -> list[int]:
    """The passage numbers a sentence cites, in order, each once.

    >>> markers("Kindness helps [2]. It lasts [1, 3][2]")
    [2, 1, 3]
    >>> markers("As passage [Passage 4] says.")
    [4]
    """
    found: list[int] = []
    for match in MARKER.finditer(sentence):
        for number in re.findall(r"\d+", match.group(1)):
            if int(number) not in found:
                found.append(int(number))
    return found


def strip_markers(sentence: str) -> str:
    """The sentence without its markers and list bullet, spaces tidied.

    >>> strip_markers("- Kindness helps [1] .")
    'Kindness helps.'
    """
    text = _BULLET.sub("", MARKER.sub("", sentence))
    text = re.sub(r"\s+([.,;:!?…])", r"\1", text)
    return re.sub(r"\s+", " ", text).strip()


def _ends_here(buffer: str, match: re.Match[str]) -> bool | None:
    """Whether a sentence ends at ``match``: True, False, or None when the text after it has not arrived yet."""
    rest = buffer[match.end() :]
    visible = rest.lstrip()
    if not visible:
        return None
    if visible[0] == "[":  # a marker on the far side of a line break or space still belongs to this sentence
        return False
    if match.group() == "\n":
        return True
    if rest == visible:  # "3.5", "e.g.," : no space after the punctuation
        return False
    word = re.search(r"([\w.]+)\.$", buffer[max(0, match.start() - 12) : match.start() + 1])
    return not (match.group().startswith(".") and word is not None and word.group(1).lower() in _ABBREVIATIONS)


def sentences(text: str) -> list[str]:
    """A whole reply cut into sentences, each with the markers that follow it.

    >>> sentences("Rest helps [1]. It lasts. [2]\\n\\n- A list item [3]")
    ['Rest helps [1].', 'It lasts. [2]', '- A list item [3]']
    """
    splitter = SentenceSplitter()
    return [*splitter.feed(text), *splitter.close()]


class SentenceSplitter:
    """Cuts streamed text into sentences as soon as each one is known to be complete.

    A sentence is complete when its end is followed by the start of the next
    one, so markers written after the full stop ("It helps. [1]") stay with it.
    """

    def __init__(self) -> None:
        self._buffer = ""

    def feed(self, piece: str) -> list[str]:
        self._buffer += piece
        found, position = [], 0
        for match in _END.finditer(self._buffer):
            if match.start() < position:
                continue
            ends = _ends_here(self._buffer, match)
            if ends is None:
                break
            if ends:
                found.append(self._buffer[position : match.end()])
                position = match.end()
        self._buffer = self._buffer[position:]
        return [s.strip() for s in found if any(ch.isalpha() for ch in s)]

    def close(self) -> list[str]:
        rest, self._buffer = self._buffer.strip(), ""
        return [rest] if any(ch.isalpha() for ch in rest) else []


def overlap(sentence: str, passage: str) -> float:
    """Share of the sentence's content words that the passage contains (stemmed; stopwords ignored).

    >>> overlap("Self-kindness helps us recover.", "Being kind to ourselves helps us recover from failure.")
    0.75
    """
    words = set(tokenize(sentence))
    return len(words & set(tokenize(passage))) / len(words) if words else 0.0


@dataclass(frozen=True, kw_only=True)
class Checked:
    """One generated sentence after verification."""

    text: str  # the sentence without markers
    cites: tuple[int, ...]  # passage numbers it cites that the model was given
    removed: tuple[int, ...]  # markers to passages the model was not given, removed
    supporting: tuple[int, ...]  # the cited passages it keeps as citations when verified
    overlap: float
    similarity: float
    verified: bool
    reason: str  # why it failed: "no citation", "not supported", "number not in the passages"; "" when verified


@dataclass(kw_only=True)
class Verification:
    """What verification did to one generated answer (``ask --json`` prints it)."""

    kept: int = 0
    dropped: int = 0
    fell_back: bool = False
    reason: str = ""  # why the extractive answer was shown instead; "" when it was not
    removed_markers: int = 0
    sentences: list[dict[str, object]] = field(default_factory=list)

    def add(self, checked: Checked) -> None:
        self.kept += checked.verified
        self.dropped += not checked.verified
        self.removed_markers += len(checked.removed)
        self.sentences.append(
            {
                "text": checked.text, "kept": checked.verified, "reason": checked.reason, "cites": list(checked.cites),
                "overlap": round(checked.overlap, 3), "similarity": round(checked.similarity, 3),
            }
        )  # fmt: skip


class Verifier:
    """Checks sentences against numbered passages (1-based, as the model saw them)."""

    def __init__(
        self,
        embed: Callable[[list[str]], list[list[float]]],
        passages: Sequence[str],
        min_overlap: float,
        min_similarity: float,
    ) -> None:
        self._embed = embed
        self.passages = list(passages)
        self.min_overlap = min_overlap
        self.min_similarity = min_similarity
        self._vectors: np.ndarray | None = None

    def _passage_vectors(self) -> np.ndarray:
        if self._vectors is None:
            self._vectors = np.asarray(self._embed(self.passages), dtype=np.float32)
        return self._vectors

    def check(self, sentence: str) -> Checked:
        text = strip_markers(sentence)
        given = range(1, len(self.passages) + 1)
        numbers = markers(sentence)
        cites = tuple(n for n in numbers if n in given)
        removed = tuple(n for n in numbers if n not in given)
        if not cites:
            return Checked(
                text=text, cites=(), removed=removed, supporting=(), overlap=0.0, similarity=0.0, verified=False,
                reason="no citation",
            )  # fmt: skip
        vector = np.asarray(self._embed([text])[0], dtype=np.float32)
        similarities = {n: float(self._passage_vectors()[n - 1] @ vector) for n in cites}
        overlaps = {n: overlap(text, self.passages[n - 1]) for n in cites}
        cited_text = " ".join(self.passages[n - 1] for n in cites)
        joint_overlap, best_similarity = overlap(text, cited_text), max(similarities.values())
        missing_number = any(number not in cited_text for number in _DIGITS.findall(text))
        supported = joint_overlap >= self.min_overlap and best_similarity >= self.min_similarity
        alone = tuple(n for n in cites if overlaps[n] >= self.min_overlap and similarities[n] >= self.min_similarity)
        reason = "number not in the passages" if missing_number else "" if supported else "not supported"
        return Checked(
            text=text, cites=cites, removed=removed, supporting=(alone or cites) if not reason else (),
            overlap=joint_overlap, similarity=best_similarity, verified=not reason, reason=reason,
        )  # fmt: skip
