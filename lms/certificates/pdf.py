"""The certificate PDF: an autoescaped Jinja template rendered by WeasyPrint.

Nothing here signs or stores anything: the caller hands over what to print and
gets the PDF bytes back (CONVENTIONS.md, 11). Two things make it safe and fast:

- WeasyPrint only ever sees URLs of a made-up origin (``.invalid`` never
  resolves), which ``CertificateFetcher`` maps onto the app's static folder and
  the built font folder, plus ``data:`` images for the holder's photo. Every
  other URL (``file:``, ``http(s):`` elsewhere, paths escaping with ``..``)
  stops the render, so a name like ``<img src="file:///etc/passwd">`` — printed
  as text by the autoescaping anyway — could never read a file.
- The ``FontConfiguration`` and the parsed stylesheet (with its ``@font-face``
  for the subset font, already fetched and registered) are built once per
  process and reused (../shared/PERFORMANCE.md, A3): a warm render costs the
  layout and the PDF only.
"""

from __future__ import annotations

import base64
import binascii
import io
import mimetypes
import re
import threading
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from urllib.parse import unquote, urlsplit

import segno
from flask import Flask, current_app, render_template
from markupsafe import Markup
from PIL import Image, ImageOps
from weasyprint import CSS, HTML
from weasyprint.text.fonts import FontConfiguration
from weasyprint.urls import URLFetcher, URLFetcherResponse

from lms.certificates.fonts import (
    DEFAULT_FONT_DIR,
    FALLBACK_FAMILY,
    SUBSET_FAMILY,
    subset_font_paths,
)

TEMPLATE = "certificates/certificate.pdf.html"
STYLESHEET = "certificates/certificate.css"
#: RFC 2606 reserves .invalid: these URLs can never reach a network
ORIGIN = "https://certificate.invalid"
STATIC_BASE = f"{ORIGIN}/static/"
FONT_BASE = f"{ORIGIN}/fonts/"
SEAL_DIR = "img/seals"
DEFAULT_SEAL = "default.svg"
_SEAL_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,63}\.(svg|png)")
#: QR error correction M: survives a fold or a stain on a printed page
QR_ERROR = "m"
#: an ID photo is printed 30 × 40 mm; 360 × 480 px is 300 dpi there
PHOTO_BOX = (360, 480)
ORIENTATION = 0x0112  # the EXIF tag a phone sets instead of rotating the pixels
_DATA_IMAGE = re.compile(r"data:(image/(?:jpeg|png));base64,([A-Za-z0-9+/=]+)")


@dataclass(frozen=True)
class CertificatePrint:
    """What a certificate shows; every text is printed as given (and escaped)."""

    holder_name: str
    photo: bytes | None  # JPEG or PNG bytes of the holder's ID photo
    qualification: str  # e.g. 工会干部职业资格
    level: str  # e.g. 中级
    serial: str
    issued_on: date
    expires_on: date | None  # None: no expiry
    issuer_name: str  # the issuing organisation, e.g. 北京市东城区总工会
    verify_url: str  # LMS_BASE_URL/verify/<serial>
    seal: str | None = None  # a file under static/img/seals/; None = default.svg


class FetchRefused(ValueError):
    """WeasyPrint asked for a URL outside the certificate's allow-list."""


class CertificateFetcher(URLFetcher):
    """Serves the app's static files, the built certificate fonts and data: images.

    No network, no ``file:``, no redirects: the only answers come from
    ``static_root`` and ``font_root`` (resolved, so ``..`` and symlinks cannot
    leave them) and from ``data:image/jpeg|png;base64`` URIs. With
    ``fail_on_errors`` a refusal stops the render instead of leaving a hole.
    """

    def __init__(self, static_root: Path, font_root: Path) -> None:
        super().__init__(allowed_protocols=(), allow_redirects=False, fail_on_errors=True)
        self.mounts = ((STATIC_BASE, Path(static_root).resolve()),
                       (FONT_BASE, Path(font_root).resolve()))

    def fetch(self, url: str, headers: dict | None = None) -> URLFetcherResponse:
        if url.startswith("data:"):
            return self._data(url)
        for base, root in self.mounts:
            if url.startswith(base):
                path = self._inside(root, url, base)
                mime = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
                return URLFetcherResponse(url, path.read_bytes(), {"Content-Type": mime})
        raise FetchRefused(f"certificate fetcher refuses {url[:80]!r}")

    @staticmethod
    def _inside(root: Path, url: str, base: str) -> Path:
        parts = urlsplit(url)
        if parts.query or parts.fragment:
            raise FetchRefused(f"certificate fetcher refuses {url[:80]!r}")
        relative = unquote(url[len(base):])
        if not relative or "\\" in relative or "\x00" in relative:
            raise FetchRefused(f"certificate fetcher refuses {url[:80]!r}")
        path = (root / relative).resolve()
        if not path.is_relative_to(root) or not path.is_file():
            raise FetchRefused(f"certificate fetcher refuses {url[:80]!r}")
        return path

    @staticmethod
    def _data(url: str) -> URLFetcherResponse:
        match = _DATA_IMAGE.fullmatch(url)
        if match is None:
            raise FetchRefused("certificate fetcher only takes base64 JPEG or PNG data: URIs")
        try:
            body = base64.b64decode(match[2], validate=True)
        except binascii.Error as exc:
            raise FetchRefused("malformed data: URI") from exc
        return URLFetcherResponse(url[:40], body, {"Content-Type": match[1]})


@dataclass(frozen=True)
class _Renderer:
    """What every render in this process shares (built once, read-only after)."""

    fetcher: CertificateFetcher
    font_config: FontConfiguration
    stylesheet: CSS


_renderers: dict[tuple[str, str, tuple[str, ...]], _Renderer] = {}
_renderers_lock = threading.Lock()


def font_dir(app: Flask) -> Path:
    """Where the subset fonts are (``CERTIFICATE_FONT_DIR``, default build/fonts)."""
    return Path(app.config.get("CERTIFICATE_FONT_DIR") or DEFAULT_FONT_DIR)


def _renderer(app: Flask) -> _Renderer:
    fonts = font_dir(app)
    faces = subset_font_paths(fonts)
    key = (str(app.static_folder), str(fonts), tuple(str(p) for p in faces.values()))
    renderer = _renderers.get(key)
    if renderer is None:
        with _renderers_lock:  # a thread pool's first renders build it once
            renderer = _renderers.get(key)
            if renderer is None:
                renderer = _renderers[key] = _build_renderer(app, fonts, faces)
    return renderer


def _build_renderer(app: Flask, fonts: Path, faces: dict[int, Path]) -> _Renderer:
    fetcher = CertificateFetcher(Path(str(app.static_folder)), fonts)
    font_config = FontConfiguration()
    css = render_template(
        STYLESHEET, font_faces=[(weight, FONT_BASE + path.name) for weight, path in faces.items()],
        subset_family=SUBSET_FAMILY if faces else None, fallback_family=FALLBACK_FAMILY)
    # parsing fetches and registers the @font-face fonts, once for the process
    stylesheet = CSS(string=css, base_url=STATIC_BASE, url_fetcher=fetcher,
                     font_config=font_config)
    return _Renderer(fetcher, font_config, stylesheet)


def chinese_date(value: date) -> str:
    """2026年11月23日 (no leading zeros), whatever the UI language."""
    return f"{value.year}年{value.month}月{value.day}日"


def qr_svg(url: str) -> str:
    """The QR code for ``url`` as an inline <svg> sized by CSS (segno, no XML prolog)."""
    return segno.make_qr(url, error=QR_ERROR).svg_inline(
        omitsize=True, border=0, dark="#000", light=None)


def photo_data_uri(photo: bytes) -> str:
    """The photo as a data: URI, shrunk to 300 dpi of its printed size when larger.

    Keeps PDFs small whatever camera took the picture; raises ValueError when the
    bytes are not a JPEG or PNG image. A photo already small and upright is passed
    on as it is, without decoding its pixels (a few ms of every render).
    """
    try:
        image = Image.open(io.BytesIO(photo))
        image_format = image.format
        upright = image.getexif().get(ORIENTATION, 1) == 1
    except (OSError, SyntaxError, Image.DecompressionBombError) as exc:
        raise ValueError("the holder's photo is not a readable image") from exc
    if image_format not in ("JPEG", "PNG"):
        raise ValueError(f"the holder's photo must be JPEG or PNG, not {image_format}")
    if upright and image.width <= PHOTO_BOX[0] and image.height <= PHOTO_BOX[1]:
        data, mime = photo, f"image/{image_format.lower()}"
    else:
        try:
            oriented = ImageOps.exif_transpose(image)
            oriented.thumbnail(PHOTO_BOX)
            buffer = io.BytesIO()
            oriented.convert("RGB").save(buffer, format="JPEG", quality=85, optimize=True)
        except (OSError, SyntaxError, Image.DecompressionBombError) as exc:
            raise ValueError("the holder's photo is not a readable image") from exc
        data, mime = buffer.getvalue(), "image/jpeg"
    return f"data:{mime};base64,{base64.b64encode(data).decode('ascii')}"


def seal_url(seal: str | None) -> str:
    """The seal image's certificate URL; ValueError for a name that is not a plain file name."""
    name = seal or DEFAULT_SEAL
    if not _SEAL_NAME.fullmatch(name) or ".." in name:
        raise ValueError(f"invalid seal image name {name!r}")
    return f"{STATIC_BASE}{SEAL_DIR}/{name}"


def render_certificate_html(cert: CertificatePrint) -> str:
    """The certificate's HTML (what WeasyPrint lays out); needs an app context."""
    return render_template(
        TEMPLATE, cert=cert,
        issued_on=chinese_date(cert.issued_on),
        expires_on=chinese_date(cert.expires_on) if cert.expires_on else None,
        photo_uri=photo_data_uri(cert.photo) if cert.photo else None,
        seal_url=seal_url(cert.seal),
        qr_svg=Markup(qr_svg(cert.verify_url)))  # noqa: S704 — segno's SVG holds no text


def render_certificate_pdf(cert: CertificatePrint) -> bytes:
    """The certificate as PDF bytes (A4 landscape); call inside an app context.

    Raises ValueError for an unreadable photo or an invalid seal name, and
    ``weasyprint.urls.FatalURLFetchingError`` if the template ever asks for a
    resource outside the static folder (a bug, never silently skipped).
    """
    renderer = _renderer(current_app._get_current_object())
    html = HTML(string=render_certificate_html(cert), base_url=STATIC_BASE,
                url_fetcher=renderer.fetcher)
    # A fresh image cache per render: WeasyPrint keeps an SVG image with the
    # first document's layout context, and a shared cache would keep every
    # holder's photo in memory (keyed by its data: URI) for the worker's life.
    return html.write_pdf(stylesheets=[renderer.stylesheet], font_config=renderer.font_config,
                          cache={})
