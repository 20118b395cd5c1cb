"""The Streamlit pages: they render what ``assistant.services.Services`` returns and decide nothing else.

``chat`` is the reader's page, ``turns`` draws one question and its answer,
``source`` shows a whole source, ``maintain`` is the maintainer's page (only
when a maintainer token is set), ``browser`` holds the parts that run in the
browser and ``resources`` what one server process shares. The folder is not
called ``pages/``: Streamlit would read that name as its own multipage folder.
"""
