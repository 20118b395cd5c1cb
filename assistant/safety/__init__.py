"""Safety: whether a reader's message shows a risk of suicide or self-harm.

The public interface is one function, :func:`assess`: a message and the
conversation's earlier turns in, a :class:`SafetyResult` out (a level,
``crisis``, ``concern`` or ``none``, with its reasons and scores). It runs
before anything is searched; a crisis message is never retrieved for and
never reaches a language model.

Inside: rule families as data (``rules.toml``, read by ``rules``), a trained
classifier (``classifier``, weights in ``model.npz`` and the adapter in
``adapter/``, both built by ``training``), and the decision that combines
them (``check``). The vectors it reads come from the caller's ``embed``: the
crisis check's model, ``assistant.index.library.safety_embedder``. The check
imports ``assistant.text`` and nothing else of the package; only the
training command reads the embedding module.
"""

from assistant.safety.check import Level, SafetyResult, assess, own_texts
from assistant.safety.messages import CONCERN_NOTE, CRISIS_MESSAGE, CRISIS_RESOURCES

__all__ = ["CONCERN_NOTE", "CRISIS_MESSAGE", "CRISIS_RESOURCES", "Level", "SafetyResult", "assess", "own_texts"]
