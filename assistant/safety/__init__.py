"""Safety: whether a reader's message shows a risk of suicide or self-harm.

Runs before anything is searched; a crisis message is never retrieved for.
May import ``assistant.text`` and nothing else of the package, so that every
interface can check a message before it touches the index.
"""

from assistant.safety.detector import (
    CRISIS_MESSAGE,
    CRISIS_REFERENCES,
    CRISIS_RESOURCES,
    SAFE_REFERENCES,
    CrisisCheck,
    DocumentEmbedder,
    canonical_sentences,
    check_crisis,
)

__all__ = [
    "CRISIS_MESSAGE",
    "CRISIS_REFERENCES",
    "CRISIS_RESOURCES",
    "SAFE_REFERENCES",
    "CrisisCheck",
    "DocumentEmbedder",
    "canonical_sentences",
    "check_crisis",
]
