"""The reader's page, as a page script that ``app.py``'s navigation runs; the page itself is ``app_pages.chat``."""

from app_pages import chat
from app_pages.resources import current_services

chat.render(current_services())
