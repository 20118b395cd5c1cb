"""The one safety decision: a message, with the conversation's earlier turns, to a level.

Levels: ``crisis`` (the crisis reply, no retrieval), ``concern`` (the answer,
with the crisis lines and one gentle line), ``none``. The trained classifier
(``classifier``) is the main detector; the rule families (``rules``) are a
floor: a match of a family precise on the labelled lines
(``Classifier.floor_families``) is at least ``concern``, and a ``crisis``
when the classifier agrees at the ``concern`` level. A match of a less precise
family adds nothing the classifier does not say.

The classifier reads the whole message, each of its sentences when it has
several (a crisis sentence inside an ordinary question), each clause of
them when the model was trained to (``Classifier.by_clause``: a crisis
clause joined to an ordinary one with a comma or "and"), and the message
after the last two earlier turns (a plan spread over several turns). That
reading does not stop at a crisis reply: a message right after a crisis
turn is read with it, so a short continuation of it ("it's done now", "too
late") gets the crisis reply again when that reading is at the ``crisis``
level, and a change of subject gets at least ``concern`` when it is at that
level. Once the crisis turn is more than two turns back, an ordinary
question is read alone and answered; the lines stay with the conversation.

Each earlier turn is read again as it was read when it was asked, with the
turns before it, so a turn that was a crisis only with its own context (a
short "it's windy up here" after "I'm on the roof") still counts as one: its
lines stay, and a follow-up never searches for it. Those levels are
remembered (``LEVELS_REMEMBERED``, for each embed function), so a question
deep into a long conversation embeds and scores only its own readings.
"""

from __future__ import annotations

import hashlib
import inspect
import json
import threading
import weakref
from collections import OrderedDict
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from enum import StrEnum

from assistant.safety.classifier import Classifier, load
from assistant.safety.rules import matching_families
from assistant.text import clauses, sentences

Embed = Callable[[list[str]], list[list[float]]]
CONTEXT_TURNS = 2  # earlier turns a message is read after
# Earlier turns' levels remembered for each embed function's model, so that a question deep into a long conversation
# reads only its own texts: a level depends only on the turn, the CONTEXT_TURNS before it and the model.
LEVELS_REMEMBERED = 65536


class Level(StrEnum):
    NONE = "none"
    CONCERN = "concern"
    CRISIS = "crisis"


@dataclass(frozen=True, kw_only=True)
class SafetyResult:
    level: Level
    reasons: tuple[str, ...] = ()  # rule families that matched, "classifier", "with earlier turns", "earlier turn"
    score: float = 0.0  # the classifier's highest probability over the message and its sentences (and clauses)
    context_score: float = 0.0  # its probability for the message read after the earlier turns
    earlier_flagged: bool = False  # an earlier turn of the conversation was a crisis or a concern
    crisis_turns: tuple[int, ...] = ()  # positions in the history of earlier turns that were a crisis

    @property
    def shows_lines(self) -> bool:
        """Whether the crisis lines go with this answer."""
        return self.level is not Level.NONE or self.earlier_flagged


def units(text: str, history: Sequence[str], by_clause: bool = False) -> tuple[list[str], str | None]:
    """The texts the classifier reads alone, and the message read after the last two earlier turns.

    >>> units("Is it about stress? I took the pills.", ["hi"])
    (['Is it about stress? I took the pills.', 'Is it about stress?', 'I took the pills.'], 'hi Is it about stress? I took the pills.')
    >>> units("Is it about stress, or about guilt and shame", [], by_clause=True)[0]
    ['Is it about stress, or about guilt and shame', 'Is it about stress', 'or about guilt']
    """
    parts = sentences(text)
    alone = [text, *parts] if len(parts) > 1 else [text]
    if by_clause:
        alone += [part for part in dict.fromkeys(clauses(text)) if part not in alone]
    return alone, (" ".join([*history[-CONTEXT_TURNS:], text]) if history else None)


def own_texts(text: str, history: Sequence[str]) -> list[str]:
    """Every text the check embeds for the message itself, read as the shipped model reads it."""
    alone, with_turns = units(text, history, load().by_clause)
    return [*alone, *([with_turns] if with_turns else [])]


def classifier_score(model: Classifier, text: str, history: Sequence[str], embed: Embed) -> tuple[float, float]:
    """The highest probability over the message alone, its sentences (and clauses), and with its earlier turns."""
    alone, with_turns = units(text, history, model.by_clause)
    texts = [*alone, with_turns] if with_turns else alone
    scores = model.probabilities(texts, embed(texts))
    return max(scores[: len(alone)]), (scores[-1] if with_turns else 0.0)


def decide(floor: bool, score: float, context: float, concern: float, crisis: float) -> Level:
    """The level from a floor family's match and the classifier's two readings, given its two thresholds.

    >>> decide(False, 0.5, 0.0, 0.4, 0.8), decide(True, 0.5, 0.0, 0.4, 0.8), decide(True, 0.1, 0.0, 0.4, 0.8)
    (<Level.CONCERN: 'concern'>, <Level.CRISIS: 'crisis'>, <Level.CONCERN: 'concern'>)
    """
    if score >= crisis or context >= crisis or (floor and score >= concern):
        return Level.CRISIS
    if floor or max(score, context) >= concern:
        return Level.CONCERN
    return Level.NONE


def texts_read(text: str, history: Sequence[str]) -> list[str]:
    """Every text the check may embed for a message: its own readings, and each earlier turn's with the turns before
    it (read only where that turn's level is not remembered)."""
    return [
        read
        for turn, before in [(text, history), *[(turn, history[:i]) for i, turn in enumerate(history)]]
        for read in own_texts(turn, before)
    ]


def _reading(
    model: Classifier, rules: Sequence[str], text: str, history: Sequence[str], embed: Embed
) -> tuple[Level, float, float]:
    """One message's level, read with the turns before it, given the rule families it matches; and the two scores."""
    floor = any(family in model.floor_families for family in rules)
    score, context = classifier_score(model, text, history, embed)
    return decide(floor, score, context, model.concern_threshold, model.crisis_threshold), score, context


class _Levels:
    """Earlier turns' levels, per embed function (a model), the least recently read forgotten first."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._by_model: weakref.WeakKeyDictionary[object, OrderedDict[str, Level]] = weakref.WeakKeyDictionary()

    @staticmethod
    def key(model: Classifier, turn: str, before: Sequence[str]) -> str:
        read = [model.training_digest, model.adapter_digest, model.concern_threshold, model.crisis_threshold,
                model.floor_families, model.by_clause, turn, list(before[-CONTEXT_TURNS:])]  # fmt: skip
        return hashlib.sha256(json.dumps(read).encode("utf-8")).hexdigest()

    @staticmethod
    def _owner(embed: Embed) -> object:
        return embed.__self__ if inspect.ismethod(embed) else embed  # a bound method is made anew at each access

    def get(self, embed: Embed, key: str) -> Level | None:
        with self._lock:
            try:
                memory = self._by_model.get(self._owner(embed))
            except TypeError:  # cannot be referred to weakly: nothing is remembered
                return None
            if memory is None or key not in memory:
                return None
            memory.move_to_end(key)
            return memory[key]

    def put(self, embed: Embed, key: str, level: Level) -> None:
        with self._lock:
            try:
                memory = self._by_model.setdefault(self._owner(embed), OrderedDict())
            except TypeError:
                return
            memory[key] = level
            while len(memory) > LEVELS_REMEMBERED:
                memory.popitem(last=False)

    def forget(self) -> None:
        with self._lock:
            self._by_model.clear()


_levels = _Levels()


def forget_levels() -> None:
    """Drop the remembered earlier-turn levels (benchmarks use this to measure reading every turn again)."""
    _levels.forget()


def earlier_levels(history: Sequence[str], embed: Embed) -> list[Level]:
    """The level each earlier turn had when it was asked: read with the turns before it."""
    model = load()
    found = []
    for i, turn in enumerate(history):
        key = _levels.key(model, turn, history[:i])
        level = _levels.get(embed, key)
        if level is None:
            level = _reading(model, matching_families(turn), turn, history[:i], embed)[0]
            _levels.put(embed, key, level)
        found.append(level)
    return found


def assess(text: str, history: Sequence[str] = (), embed: Embed | None = None) -> SafetyResult:
    """Decide the level of one message; ``history`` holds the earlier turns, oldest first.

    Without ``embed`` only the rules run (an over-long message read for a crisis before it is refused).
    """
    rules = tuple(matching_families(text))
    if embed is None:
        return SafetyResult(level=Level.CONCERN if rules else Level.NONE, reasons=rules)
    model = load()
    earlier = earlier_levels(history, embed)
    earlier_flagged = any(level is not Level.NONE for level in earlier)
    level, score, context = _reading(model, rules, text, history, embed)
    _levels.put(embed, _levels.key(model, text, history), level)  # an earlier turn of the next question
    reasons = list(rules)
    if score >= model.concern_threshold:
        reasons.append("classifier")
    if context >= model.concern_threshold:
        reasons.append("with earlier turns")
    if earlier_flagged:
        reasons.append("earlier turn")
    return SafetyResult(
        level=level, reasons=tuple(reasons), score=round(score, 4), context_score=round(context, 4),
        earlier_flagged=earlier_flagged,
        crisis_turns=tuple(i for i, turn in enumerate(earlier) if turn is Level.CRISIS),
    )  # fmt: skip
