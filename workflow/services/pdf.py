"""PDFs with WeasyPrint from a Jinja template rendered with plain data (dicts, never ORM objects).

The URL fetcher refuses everything that is not one of the app's own static files: no file://, no
network, nothing a text typed by a sponsor could point at.
"""

from __future__ import annotations

from pathlib import Path

from flask import current_app, render_template
from weasyprint import HTML
from weasyprint.urls import URLFetcher, URLFetcherResponse

STATIC_PREFIX = "antragsweg-static:"


class FetchRefused(ValueError):
    pass


class StaticOnlyFetcher(URLFetcher):
    """Serves `antragsweg-static:<name>` from workflow/static; refuses every other URL."""

    def __init__(self, static_folder: str):
        super().__init__(allowed_protocols=(), allow_redirects=False)
        self.root = Path(static_folder).resolve()

    def fetch(self, url, headers=None):
        if not isinstance(url, str) or not url.startswith(STATIC_PREFIX):
            raise FetchRefused(f"refused to fetch {url!r}")
        path = (self.root / url.removeprefix(STATIC_PREFIX)).resolve()
        if self.root not in path.parents or not path.is_file():
            raise FetchRefused(f"refused to fetch {url!r}")
        media = "text/css" if path.suffix == ".css" else "application/octet-stream"
        return URLFetcherResponse(url, body=path.read_bytes(), headers={"Content-Type": media})


def render(template: str, data: dict) -> bytes:
    """The PDF of `template` rendered with `data` (plain data only)."""
    html = render_template(template, **data)
    fetcher = StaticOnlyFetcher(current_app.static_folder)
    return HTML(string=html, base_url=STATIC_PREFIX, url_fetcher=fetcher).write_pdf()
