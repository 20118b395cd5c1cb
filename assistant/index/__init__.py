"""Index: embeddings and the Chroma store, built in generations and read by many.

The embedding model (``embeddings``), the generation store (``store``), the
incremental build under a writer lock (``building``), read access that follows
generation swaps (``library``) and a re-index run beside live questions
(``background``). Imports ``ingest`` and the top-level modules.
"""
