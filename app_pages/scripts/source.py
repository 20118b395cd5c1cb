"""A source to read whole, as a page script that ``app.py``'s navigation runs; the page itself is ``app_pages.source``."""

from app_pages import source
from app_pages.resources import current_services

source.render(current_services())
