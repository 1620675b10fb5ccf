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


@dataclass(frozen=True)
class Box:
    """Where an element of the document landed: its page (from 0) and its rectangle in PDF points,
    measured from the page's lower left corner (as PDF coordinates are)."""

    page: int
    left: float
    bottom: float
    right: float
    top: float


PX_TO_PT = 0.75  # WeasyPrint lays out in CSS pixels (1/96 in); PDF measures in points (1/72 in)


def render(
    template: str,
    context: dict,
    *,
    pdf_variant: str | None = None,
    attachments: tuple[JsonAttachment, ...] = (),
    fetcher: AssetsOnlyFetcher | None = None,
) -> bytes:
    """Render `template` with plain `context` into PDF bytes."""
    return render_with_boxes(
        template, context, pdf_variant=pdf_variant, attachments=attachments, fetcher=fetcher
    )[0]


def render_with_boxes(
    template: str,
    context: dict,
    *,
    pdf_variant: str | None = None,
    attachments: tuple[JsonAttachment, ...] = (),
    fetcher: AssetsOnlyFetcher | None = None,
) -> tuple[bytes, dict[str, Box]]:
    """Render like `render`, and say where each element with an id landed (the visible signature
    field is placed onto the box the template keeps free for it)."""
    fetcher = fetcher or AssetsOnlyFetcher()
    # The app's Jinja environment without request context processors: the PDF sees only `context`.
    html = current_app.jinja_env.get_template(template).render(**context)
    options = {
        "pdf_variant": pdf_variant,
        "attachments": [
            Attachment(
                string=a.data,
                name=a.name,
                description=a.description,
                relationship="Data",
                url_fetcher=fetcher,
            )
            for a in attachments
        ],
        "uncompressed_pdf": False,
    }
    # As HTML.write_pdf does, in its two steps: the layout in between tells where the boxes are.
    document = HTML(string=html, base_url=ASSET_ORIGIN, url_fetcher=fetcher).render(**options)
    boxes = {}
    for number, page in enumerate(document.pages):
        height = page.height * PX_TO_PT
        for name, (left, top, right, bottom) in page.anchors.items():
            boxes.setdefault(
                name,
                Box(
                    number,
                    left * PX_TO_PT,
                    height - bottom * PX_TO_PT,
                    right * PX_TO_PT,
                    height - top * PX_TO_PT,
                ),
            )
    data = document.write_pdf(**options)
    return data, boxes
