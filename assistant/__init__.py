"""A citation-first question-answering assistant about self-compassion."""

import os

# Offline by default: the embedding model ships inside a Python package, and
# nothing may reach a model hub or a telemetry endpoint at run time. These are
# set before any library that reads them is imported; a user who really wants
# otherwise can still export different values first.
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
os.environ.setdefault("HF_HUB_DISABLE_TELEMETRY", "1")
os.environ.setdefault("ANONYMIZED_TELEMETRY", "False")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")

__version__ = "0.1.0"
