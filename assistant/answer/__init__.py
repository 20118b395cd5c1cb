"""Answer: the ``Assistant`` use case, from a question to a cited answer.

What kind of question it is (``kinds``), questions about the sources
(``sources``), hybrid retrieval (``retrieval``), composition (``compose``)
and citations with their exact offsets (``citations``). Imports ``index``,
``safety`` and the top-level modules; never a user interface.
"""
