"""Text normalisation and the one tokenizer, shared by every layer.

Everything the assistant indexes or compares goes through :func:`normalise`,
so offsets stored in the index always address the normalised text. Layout is
kept (paragraph breaks matter for chunking); invisible characters are not,
because they let hidden text slip past readers and break exact quoting.
"""

from __future__ import annotations

import functools
import re
import unicodedata

# Zero-width and formatting characters that render as nothing, the Unicode
# "tag" block (used to smuggle invisible instructions), bidirectional
# controls (which can reorder what a reader sees) and the soft hyphen.
_INVISIBLE = re.compile(
    "[\u00ad\u034f\u061c\u115f\u1160\u17b4\u17b5\u180b-\u180f\u200b-\u200f"
    "\u202a-\u202e\u2060-\u206f\u3164\ufe00-\ufe0f\ufeff\uffa0"
    "\U000e0000-\U000e007f]"
)
# C0/C1 controls other than tab and newline.
_CONTROL = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f]")
_SPACES = re.compile("[ \t\u00a0\u1680\u2000-\u200a\u202f\u205f\u3000]+")
_TRAILING = re.compile(r"[ \t]+\n")
_MANY_BREAKS = re.compile(r"\n{3,}")


def strip_invisible(text: str) -> str:
    r"""Remove invisible, control and bidirectional characters.

    >>> strip_invisible("se\u200blf\u202e-care\x07")
    'self-care'
    """
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    # \u2028/\u2029 are line and paragraph separators: keep their meaning.
    text = text.replace("\u2028", "\n").replace("\u2029", "\n\n")
    return _CONTROL.sub("", _INVISIBLE.sub("", text))


def normalise(text: str) -> str:
    r"""NFC, invisible characters removed, spaces tidied, layout kept.

    >>> normalise("Cafe\u0301  is\u00a0open \n\n\n\nNext")
    'Café is open\n\nNext'
    """
    text = unicodedata.normalize("NFC", strip_invisible(text))
    text = _SPACES.sub(" ", text)
    text = _TRAILING.sub("\n", text)
    text = _MANY_BREAKS.sub("\n\n", text)
    return text.strip()


# -- words ------------------------------------------------------------------------

_LETTERS = re.compile(r"[^\W\d_]+")


def words(text: str) -> list[str]:
    """Lowercased runs of letters: no digits, no stemming, stopwords kept.

    >>> words("P. Tucker, Secure Minds (2024)")
    ['p', 'tucker', 'secure', 'minds']
    """
    return _LETTERS.findall(text.lower())


_WORD = re.compile(r"[^\W_]+(?:['’][^\W_]+)*")
STOPWORDS = frozenset(
    """a about above after again against all am an and any are as at be because been before being below between both
    but by can could did do does doing down during each few for from further had has have having he her here hers
    herself him himself his how i if in into is it its itself just me more most my myself no nor not now of off on
    once only or other our ours ourselves out over own same she should so some such than that the their theirs them
    themselves then there these they this those through to too under until up very was we were what when where which
    while who whom why will with would you your yours yourself yourselves s t don doesn didn isn aren wasn i'm it's
    i've i'd i'll can't won't get got really also much many us let lets ok okay please tell say says said like""".split()
)


def tokenize(text: str) -> list[str]:
    """Lowercased content words, folded to a crude stem.

    >>> tokenize("Practicing kindness: it’s what the studies showed!")
    ['practic', 'kind', 'studi', 'show']
    >>> tokenize("dependent on approving") == tokenize("depend on approval")
    True
    """
    text = unicodedata.normalize("NFKC", text).lower().replace("’", "'")
    return [_stem(w) for w in _WORD.findall(text) if w not in STOPWORDS and len(w) > 1]


@functools.cache
def _stem(word: str) -> str:
    """The Snowball (Porter 2) stem, so that inflections meet: "approving" and "approval"."""
    return _stemmer().stemWord(word.removesuffix("'s"))


@functools.cache
def _stemmer():
    import snowballstemmer

    return snowballstemmer.stemmer("english")


_SENTENCE_END = re.compile(r"(?<=[.!?…])\s+|\n+")


def sentences(text: str) -> list[str]:
    """A message cut into sentences at end punctuation followed by space, and at line breaks.

    >>> sentences("What does it say about stress? I took the pills. bye")
    ['What does it say about stress?', 'I took the pills.', 'bye']
    """
    return [part.strip() for part in _SENTENCE_END.split(text) if part.strip()]


# Where one clause of a sentence ends and another begins: a comma, semicolon, colon or dash, or a joining word.
_CLAUSE_BREAK = re.compile(
    r"\s*[,;:–—]\s+|\s+-+\s+|\s+(?=(?:and|but|so|when|because|cos|coz|cuz|tbh|lol|anyway|btw|ps)\b)", re.IGNORECASE
)
MIN_CLAUSE_WORDS = 3  # a shorter piece ("lol", "and so") says too little to be read alone


def clauses(text: str) -> list[str]:
    """The clauses of each sentence of a message, at least ``MIN_CLAUSE_WORDS`` words each.

    >>> clauses("Thanks for the article, but what about guilt when i cannot sleep at all lol")
    ['Thanks for the article', 'but what about guilt', 'when i cannot sleep at all']
    """
    pieces = [piece.strip() for sentence in sentences(text) for piece in _CLAUSE_BREAK.split(sentence)]
    return [piece for piece in pieces if len(piece.split()) >= MIN_CLAUSE_WORDS]
