"""Rule families read from ``rules.toml``: a high-precision floor under the classifier.

The families, their word lists and the examples that justify them are data;
this module only reads a message into the canonical form the patterns are
written against and reports which families match.
"""

from __future__ import annotations

import functools
import re
import tomllib
import unicodedata
from dataclasses import dataclass
from pathlib import Path

from rapidfuzz import process
from rapidfuzz.distance import DamerauLevenshtein

from assistant.text import strip_invisible

RULES_FILE = Path(__file__).with_name("rules.toml")

_APOSTROPHES = re.compile("['\u2018\u2019\u201b\u02bc\u02b9`\u00b4\u2032]")
_NOT_WORD = re.compile(r"[^a-z0-9]+")
_REPEATS = re.compile(r"([a-z])\1{2,}")
# Digits and signs people write for letters, read as letters only inside a word that has letters.
_LEET = str.maketrans({"0": "o", "1": "i", "3": "e", "4": "a", "5": "s", "7": "t", "@": "a", "$": "s"})
_LEET_WORD = re.compile(r"\b(?=[a-z0-9@$]*[a-z])(?=[a-z0-9@$]*[0134579@$])[a-z0-9@$]+\b")
_PLACEHOLDER = re.compile(r"\{([a-z_]+)\}")
_SPELLED_OUT = re.compile(r"\b(?:[a-z] ){2,}[a-z]\b")


@dataclass(frozen=True)
class Family:
    name: str
    describes: str
    patterns: tuple[re.Pattern[str], ...]
    examples: tuple[str, ...]
    near_misses: tuple[str, ...]

    def matches(self, canonical: str) -> bool:
        return any(p.search(canonical) for p in self.patterns)


@functools.cache
def families(path: Path = RULES_FILE) -> tuple[Family, ...]:
    """Every family in the rules file, its ``{word list}`` references expanded."""
    data = tomllib.loads(path.read_text(encoding="utf-8"))
    words = {name: "(?:" + "|".join(re.escape(w) for w in values) + ")" for name, values in data["words"].items()}
    return tuple(
        Family(
            name=entry["name"],
            describes=entry["describes"],
            patterns=tuple(re.compile(_PLACEHOLDER.sub(lambda m: words[m.group(1)], p)) for p in entry["patterns"]),
            examples=tuple(entry["examples"]),
            near_misses=tuple(entry.get("near_misses", ())),
        )
        for entry in data["family"]
    )


@functools.cache
def _keywords(path: Path = RULES_FILE) -> tuple[str, ...]:
    """Words of six letters or more that the patterns spell out, for typo correction."""
    text = path.read_text(encoding="utf-8")
    return tuple(sorted({w for w in re.findall(r"[a-z]{6,}", text) if w not in {"patterns", "examples"}}))


@functools.cache
def _corrected(word: str) -> str:
    """A word of six letters or more one slip (a letter added, lost, changed or swapped) from a keyword.

    The first letter must agree: "fridge" is not a misspelt "bridge".

    >>> _corrected("suicdal"), _corrected("myslef"), _corrected("fridge"), _corrected("garden")
    ('suicidal', 'myself', 'fridge', 'garden')
    """
    if len(word) < 6:
        return word
    candidates = [k for k in _keywords() if k[0] == word[0] and abs(len(k) - len(word)) <= 1]
    match = process.extractOne(word, candidates, scorer=DamerauLevenshtein.normalized_similarity, score_cutoff=0.83)
    return match[0] if match else word


def canonical(text: str) -> str:
    """The form rule patterns are written against.

    >>> canonical("I WNAT to k.i.l.l my self!!! I'm soooo done")
    'i wnat to kill my self im so done'
    >>> canonical("feeling suicdal, want to k1ll myslef")
    'feeling suicidal want to kill myself'
    """
    text = unicodedata.normalize("NFKD", strip_invisible(text))
    text = "".join(c for c in text if not unicodedata.combining(c)).casefold()
    text = _APOSTROPHES.sub("", text)
    text = _LEET_WORD.sub(lambda m: m.group(0).translate(_LEET), text)
    text = " ".join(_NOT_WORD.split(text)).strip()
    text = _SPELLED_OUT.sub(lambda m: m.group(0).replace(" ", ""), text)
    text = _REPEATS.sub(r"\1", text)
    return " ".join(_corrected(w) for w in text.split())


def matching_families(text: str) -> list[str]:
    """Names of the families whose patterns match the message.

    >>> matching_families("i just took all my pills"), matching_families("this exam is killing me")
    (['act_under_way'], [])
    """
    form = canonical(text)
    return [family.name for family in families() if family.matches(form)]
