"""PDFs from Jinja templates with WeasyPrint.

Templates get plain data only (dicts, strings, numbers, dates), never ORM objects. The renderer
fetches nothing but the app's own PDF assets (stylesheets in workflow/static/pdf/): no file://, no
network, no data: URLs from user input.
"""

from __future__ import annotations

import mimetypes
from dataclasses import dataclass
from pathlib import Path

from flask import current_app
from weasyprint import HTML, Attachment
from weasyprint.urls import URLFetcher, URLFetcherResponse

# A made-up origin that can never be fetched from the network: documents are rendered with this
# base URL and the fetcher maps it onto the asset folder.
ASSET_ORIGIN = "https://antragsweg.invalid/pdf/"
ASSET_DIR = Path(__file__).resolve().parent.parent / "static" / "pdf"


class RefusedURL(ValueError):
    pass


class AssetsOnlyFetcher(URLFetcher):
    """Serves files of the asset folder under ASSET_ORIGIN; refuses every other URL."""

    def __init__(self, asset_dir: Path = ASSET_DIR):
        super().__init__(allowed_protocols=())
        self.asset_dir = asset_dir.resolve()
        self.refused: list[str] = []

    def fetch(self, url, headers=None):
        if url.startswith(ASSET_ORIGIN):
            name = url[len(ASSET_ORIGIN) :].split("?")[0].split("#")[0]
            path = (self.asset_dir / name).resolve()
            if path.is_file() and path.is_relative_to(self.asset_dir):
                media_type = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
                return URLFetcherResponse(url, path.read_bytes(), {"Content-Type": media_type})
        self.refused.append(url)
        raise RefusedURL(f"refused to fetch {url!r}: only the app's own PDF assets are allowed")


@dataclass(frozen=True)
class JsonAttachment:
    name: str
    description: str
    data: bytes


def render(
    template: str,
    context: dict,
    *,
    pdf_variant: str | None = None,
    attachments: tuple[JsonAttachment, ...] = (),
    fetcher: AssetsOnlyFetcher | None = None,
) -> bytes:
    """Render `template` with plain `context` into PDF bytes."""
    fetcher = fetcher or AssetsOnlyFetcher()
    # The app's Jinja environment without request context processors: the PDF sees only `context`.
    html = current_app.jinja_env.get_template(template).render(**context)
    document = HTML(string=html, base_url=ASSET_ORIGIN, url_fetcher=fetcher)
    return document.write_pdf(
        pdf_variant=pdf_variant,
        attachments=[
            Attachment(
                string=a.data,
                name=a.name,
                description=a.description,
                relationship="Data",
                url_fetcher=fetcher,
            )
            for a in attachments
        ],
        uncompressed_pdf=False,
    )
