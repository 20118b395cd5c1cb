"""Answer: the ``Assistant`` use case, from a question to a cited answer.

What kind of question it is (``kinds``), questions about the sources
(``sources``), hybrid retrieval (``retrieval``), composition (``compose``)
and citations with their exact offsets (``citations``); generated answers
(``generate``), what a model is told (``prompt``) and the check every
generated sentence passes before it is shown (``verify``). Imports ``index``,
``safety``, ``llm`` and the top-level modules; never a user interface.
"""
