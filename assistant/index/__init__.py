"""Index: embeddings and the Chroma store, built in generations and read by many.

The embedding model and its three backends (``embeddings``), the command that
exports it to ONNX (``export``), where generations live (``stores``: a folder,
``store``, or a Chroma server, ``server``), the incremental build under a
writer lock or lease (``building``), read access that follows generation
swaps (``library``, reading embedded stores through ``chroma_reader``) and a
re-index run beside live questions (``background``). Imports ``ingest`` and
the top-level modules.
"""
