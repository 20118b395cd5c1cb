"""The maintainer's page, as a page script that ``app.py``'s navigation runs; the page itself is ``app_pages.maintain``."""

from app_pages import maintain
from app_pages.resources import current_services

maintain.render(current_services())
