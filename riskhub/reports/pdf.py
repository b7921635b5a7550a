"""HTML to PDF/A-3b with WeasyPrint: local static files only, the report data embedded.

The url_fetcher serves files under the static folders and `data:` URLs and refuses
everything else, so a value typed into an asset's description can never make a worker
fetch a network URL (SSRF) or read a file outside the static tree.
"""

from __future__ import annotations

import io
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlparse

from django.conf import settings
from weasyprint import CSS, HTML, Attachment
from weasyprint.urls import URLFetcher, URLFetcherResponse

DATA_ATTACHMENT = "report-data.json"


class RefusedURL(ValueError):
    """A URL the report renderer will not fetch."""


def static_roots() -> list[Path]:
    roots = [Path(p).resolve() for p in getattr(settings, "STATICFILES_DIRS", [])]
    if getattr(settings, "STATIC_ROOT", None):
        roots.append(Path(settings.STATIC_ROOT).resolve())
    return roots


def static_base_url() -> str:
    return static_roots()[0].as_uri() + "/"


class LocalStaticFetcher(URLFetcher):
    """Serve `file:` URLs inside the static folders and `data:` URLs; refuse the rest."""

    def __init__(self) -> None:
        super().__init__(allowed_protocols=("file", "data"), fail_on_errors=False)

    def fetch(self, url: str, headers: Any = None) -> URLFetcherResponse:
        scheme = urlparse(url).scheme.lower()
        if scheme == "data":
            return super().fetch(url, headers)
        if scheme != "file":
            raise RefusedURL(f"Reports load local static files only; refused {url!r}.")
        path = Path(unquote(urlparse(url).path)).resolve()
        if not any(path.is_relative_to(root) for root in static_roots()):
            raise RefusedURL(f"Reports load static files only; refused {url!r}.")
        if not path.is_file():
            raise RefusedURL(f"No static file at {url!r}.")
        return URLFetcherResponse(url, path.read_bytes(), {"Content-Type": _mime(path)})


def _mime(path: Path) -> str:
    return {
        ".css": "text/css",
        ".svg": "image/svg+xml",
        ".png": "image/png",
        ".woff2": "font/woff2",
        ".ttf": "font/ttf",
    }.get(path.suffix.lower(), "application/octet-stream")


# The report layout, then the band and tier colours the pages use too (generated).
STYLESHEETS = ("report-pdf.css", "palette.css")


# A chunk leaves its page number to the merge, which knows the pages before it
# (riskhub.reports.merge stamps "Page N of M" on every page of the final file).
CHUNK_STYLESHEET = "report-pdf-chunk.css"


# Parsed stylesheets, per process: parsing them took about 0.15 s per document, and a
# chunked report renders dozens of documents. Keyed by the file's mtime and size, so an
# edited stylesheet is parsed again.
_PARSED: dict[tuple[str, int, int], CSS] = {}


def _stylesheet(path: Path) -> CSS:
    stat = path.stat()
    key = (str(path), stat.st_mtime_ns, stat.st_size)
    found = _PARSED.get(key)
    if found is None:
        found = CSS(filename=str(path), url_fetcher=LocalStaticFetcher())
        _PARSED[key] = found
    return found


def stylesheets(*extra: str) -> list[CSS]:
    folder = Path(settings.BASE_DIR) / "static" / "css"
    return [_stylesheet(folder / name) for name in (*STYLESHEETS, *extra)]


@dataclass(frozen=True)
class Document:
    """One rendered WeasyPrint document."""

    pdf: bytes
    pages: int
    # [level, label, page index] of every heading with a bookmark level, in order.
    headings: list[list[Any]]
    # WeasyPrint's own time: layout plus writing the PDF.
    seconds: float


def _flatten_bookmarks(tree: Any, level: int = 1) -> list[list[Any]]:
    found: list[list[Any]] = []
    for label, (page, _x, _y), children, _state in tree:
        found.append([level, label, page])
        found.extend(_flatten_bookmarks(children, level + 1))
    return found


def render_document(
    html: str,
    *,
    attachments: list[tuple[str, bytes, str]] = (),  # type: ignore[assignment]
    pdf_identifier: bytes | None = None,
    extra_stylesheets: tuple[str, ...] = (),
) -> Document:
    """Write one PDF/A-3b document with the given attachments (name, bytes,
    description; relationship "Data")."""
    fetcher = LocalStaticFetcher()
    start = time.perf_counter()
    document = HTML(string=html, base_url=static_base_url(), url_fetcher=fetcher).render(
        stylesheets=stylesheets(*extra_stylesheets)
    )
    files = [
        Attachment(
            file_obj=io.BytesIO(content),
            name=name,
            description=description,
            relationship="Data",
            url_fetcher=fetcher,
        )
        for name, content, description in attachments
    ]
    out = io.BytesIO()
    document.write_pdf(
        out,
        pdf_variant="pdf/a-3b",
        attachments=files,
        pdf_identifier=pdf_identifier,
        uncompressed_pdf=False,
    )
    seconds = time.perf_counter() - start
    return Document(
        out.getvalue(),
        len(document.pages),
        _flatten_bookmarks(document.make_bookmark_tree()),
        seconds,
    )


def render_pdf(
    html: str, *, data_json: bytes, pdf_identifier: bytes | None = None
) -> tuple[bytes, int]:
    """Write PDF/A-3b with `data_json` attached; return the bytes and the page count."""
    fetcher = LocalStaticFetcher()
    document = HTML(string=html, base_url=static_base_url(), url_fetcher=fetcher).render(
        stylesheets=stylesheets()
    )
    attachment = Attachment(
        file_obj=io.BytesIO(data_json),
        name=DATA_ATTACHMENT,
        description="The report's full data (JSON), as rendered",
        relationship="Data",
        url_fetcher=fetcher,
    )
    out = io.BytesIO()
    document.write_pdf(
        out,
        pdf_variant="pdf/a-3b",
        attachments=[attachment],
        pdf_identifier=pdf_identifier,
        uncompressed_pdf=False,
    )
    return out.getvalue(), len(document.pages)
