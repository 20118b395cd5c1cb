"""Ingest: from files and web pages to text with offsets, cut into citable chunks.

The manifest (``corpus``), readers for each file type (``loaders``), the one
HTML-to-text path shared by corpus files and fetched pages (``html``),
fetching (``fetch``) and chunking. Imports only the top-level modules
(``config``, ``errors``, ``files``, ``text``); knows nothing of the index.
"""
