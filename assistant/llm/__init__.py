"""Language models: adapters that turn chat messages into text, and their failures into messages.

``backends`` builds a LangChain chat model for each generated answer mode
(Ollama, any OpenAI-compatible server, a GGUF file run in this process) and
streams its reply as text; ``local`` is the in-process GGUF model. Imports
``config`` and ``errors`` only; what an answer may say is decided in
``answer``, never here.
"""
