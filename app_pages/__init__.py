"""The Streamlit pages: they render what ``assistant.services.Services`` returns and decide nothing else.

``chat`` is the reader's page, ``source`` a source to read whole and
``maintain`` the maintainer's page (only when a maintainer token is set);
``app.py``'s navigation runs each through a one-line script in ``scripts/``.
The modules they share: ``turns`` draws one question and its answer,
``browser`` holds the parts that run in the browser, ``resources`` what one
server process shares. The folder is not
called ``pages/``: Streamlit would read that name as its own multipage folder.
"""
