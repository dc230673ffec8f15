"""The certificate PDF: what a holder, an employer and an attacker would check.

Page 1 of each rendered certificate is also written as a PNG (pdftoppm) to the
test's tmp_path and copied to ``.artifacts/certificates/`` at the repository
root (git-ignored) for a person to look at.
"""

from __future__ import annotations

import io
import shutil
import subprocess
from datetime import date
from pathlib import Path

import pytest
import segno
from PIL import Image, ImageDraw
from pypdf import PdfReader
from weasyprint.urls import FatalURLFetchingError

from lms.certificates import fonts
from lms.certificates.pdf import (
    FONT_BASE,
    STATIC_BASE,
    CertificateFetcher,
    CertificatePrint,
    FetchRefused,
    chinese_date,
    render_certificate_html,
    render_certificate_pdf,
)

ARTIFACTS = Path(__file__).resolve().parents[2] / ".artifacts" / "certificates"
SERIAL = "7KQ2M-9X4TA-H3W8P-Q"
VERIFY_URL = f"http://127.0.0.1:5000/verify/{SERIAL}"
A4_LANDSCAPE_PT = (841.89, 595.28)


def make_cert(**changes) -> CertificatePrint:
    fields = dict(holder_name="张三丰", photo=None, qualification="工会干部职业资格",
                  level="中级", serial=SERIAL, issued_on=date(2026, 11, 23),
                  expires_on=date(2029, 11, 22), issuer_name="北京市东城区总工会",
                  verify_url=VERIFY_URL)
    fields.update(changes)
    return CertificatePrint(**fields)


def phone_photo(size=(1200, 1600)) -> bytes:
    """A portrait-shaped JPEG as a phone would send it: large, textured."""
    image = Image.linear_gradient("L").resize(size).convert("RGB")
    draw = ImageDraw.Draw(image)
    w, h = size
    draw.ellipse((w // 4, h // 5, 3 * w // 4, 5 * h // 8), fill=(230, 190, 160))
    draw.rectangle((w // 8, 5 * h // 8, 7 * w // 8, h), fill=(30, 40, 90))
    image = Image.blend(image, Image.effect_noise(size, 40).convert("RGB"), 0.2)
    buffer = io.BytesIO()
    image.save(buffer, "JPEG", quality=92)
    return buffer.getvalue()


def text_of(pdf: bytes) -> str:
    return "".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages)


def embedded_fonts(pdf: bytes) -> dict[str, bool]:
    """Each font on page 1 by name → whether its program is embedded (FontFile*)."""
    page = PdfReader(io.BytesIO(pdf)).pages[0]
    found = {}
    for ref in page["/Resources"]["/Font"].values():
        font = ref.get_object()
        descriptor = font["/DescendantFonts"][0].get_object()["/FontDescriptor"].get_object() \
            if "/DescendantFonts" in font else font["/FontDescriptor"].get_object()
        found[str(font["/BaseFont"])] = any(
            key in descriptor for key in ("/FontFile", "/FontFile2", "/FontFile3"))
    return found


def images_of(pdf: bytes) -> list:
    page = PdfReader(io.BytesIO(pdf)).pages[0]
    xobjects = page["/Resources"].get("/XObject", {})
    return [x.get_object() for x in xobjects.values()
            if x.get_object().get("/Subtype") == "/Image"]


def page_png(pdf: bytes, tmp_path: Path, name: str) -> Path:
    """Page 1 at 100 dpi as PNG, kept under .artifacts/certificates/ too."""
    if shutil.which("pdftoppm") is None:
        pytest.skip("pdftoppm missing: apt-get install poppler-utils (Makefile DEB_TEST)")
    source = tmp_path / f"{name}.pdf"
    source.write_bytes(pdf)
    subprocess.run(["pdftoppm", "-png", "-r", "100", "-f", "1", "-l", "1", "-singlefile",
                    str(source), str(tmp_path / name)], check=True)
    png = tmp_path / f"{name}.png"
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    shutil.copy(png, ARTIFACTS / png.name)
    shutil.copy(source, ARTIFACTS / source.name)
    return png


def test_certificate_prints_holder_serial_dates_and_issuer(app):
    text = text_of(render_certificate_pdf(make_cert()))

    for expected in ("张三丰", SERIAL, "工会干部职业资格", "中级", "北京市东城区总工会",
                     "2026年11月23日", "2029年11月22日", VERIFY_URL):
        assert expected in text


def test_certificate_without_expiry_says_so(app):
    text = text_of(render_certificate_pdf(make_cert(expires_on=None)))

    assert "长期有效" in text


def test_page_is_one_a4_landscape_page(app):
    reader = PdfReader(io.BytesIO(render_certificate_pdf(make_cert())))

    assert len(reader.pages) == 1
    box = reader.pages[0].mediabox
    assert (float(box.width), float(box.height)) == pytest.approx(A4_LANDSCAPE_PT, abs=0.5)


def test_every_font_is_embedded(app):
    found = embedded_fonts(render_certificate_pdf(make_cert()))

    assert found and all(found.values()), found


def test_page_renders_with_photo_and_seal(app, tmp_path):
    png = page_png(render_certificate_pdf(make_cert(photo=phone_photo())), tmp_path, "certificate")

    image = Image.open(png).convert("RGB")
    assert image.width > image.height  # landscape
    # the seal (static/img/seals/default.svg, fetched through the fetcher) is red
    raw = image.tobytes()
    reds = sum(1 for r, g, b in zip(raw[0::3], raw[1::3], raw[2::3], strict=True)
               if r > 150 and g < 80 and b < 90)
    assert reds > 500


def test_pdf_with_a_phone_photo_stays_small(app):
    pdf = render_certificate_pdf(make_cert(photo=phone_photo()))

    assert len(pdf) <= 150 * 1024
    [photo] = images_of(pdf)
    assert (photo["/Width"], photo["/Height"]) == (360, 480)  # 300 dpi of 30 × 40 mm


def test_png_photo_is_accepted(app):
    buffer = io.BytesIO()
    Image.new("RGB", (300, 400), (40, 90, 160)).save(buffer, "PNG")

    pdf = render_certificate_pdf(make_cert(photo=buffer.getvalue()))

    assert len(images_of(pdf)) == 1


def test_small_upright_photo_is_printed_as_given(app):
    buffer = io.BytesIO()
    Image.new("RGB", (240, 320), (120, 90, 60)).save(buffer, "JPEG", quality=90)

    [photo] = images_of(render_certificate_pdf(make_cert(photo=buffer.getvalue())))

    assert (photo["/Width"], photo["/Height"]) == (240, 320)


def test_phone_photo_turned_by_exif_prints_upright(app):
    # the sensor's pixels are landscape; EXIF orientation 6 says "turn 90° clockwise"
    exif = Image.Exif()
    exif[0x0112] = 6
    buffer = io.BytesIO()
    Image.new("RGB", (400, 300), (120, 90, 60)).save(buffer, "JPEG", exif=exif)

    [photo] = images_of(render_certificate_pdf(make_cert(photo=buffer.getvalue())))

    assert (photo["/Width"], photo["/Height"]) == (300, 400)


def test_photo_that_is_not_an_image_is_refused(app):
    with pytest.raises(ValueError, match="photo"):
        render_certificate_pdf(make_cert(photo=b"<svg onload=alert(1)>"))


@pytest.mark.parametrize("seal", ["../../lms/config.py", "/etc/passwd", "x/../default.svg",
                                  "default.svg?x", "seal.html"])
def test_seal_must_be_a_plain_image_name(app, seal):
    with pytest.raises(ValueError, match="seal"):
        render_certificate_pdf(make_cert(seal=seal))


def test_markup_in_the_name_prints_as_text_and_fetches_nothing(app):
    name = '<img src="file:///etc/passwd">'

    pdf = render_certificate_pdf(make_cert(holder_name=name))

    # a fetch outside the allow-list would have stopped the render (fail_on_errors)
    assert name in text_of(pdf)
    assert images_of(pdf) == []
    assert "&lt;img" in render_certificate_html(make_cert(holder_name=name))


def test_qr_code_links_to_the_verification_page(app):
    html = render_certificate_html(make_cert())

    expected = segno.make_qr(VERIFY_URL, error="m").svg_inline(
        omitsize=True, border=0, dark="#000", light=None)
    other = segno.make_qr(VERIFY_URL.replace(SERIAL, "00000-00000-00000-0"), error="m")
    assert expected in html
    assert other.svg_inline(omitsize=True, border=0, dark="#000", light=None) not in html


@pytest.fixture
def fetcher(tmp_path) -> CertificateFetcher:
    static = tmp_path / "static"
    (static / "img").mkdir(parents=True)
    (static / "img" / "seal.svg").write_text("<svg xmlns='http://www.w3.org/2000/svg'/>")
    (tmp_path / "secret.txt").write_text("secret")
    (static / "img" / "link.svg").symlink_to(tmp_path / "secret.txt")
    font_dir = tmp_path / "fonts"
    font_dir.mkdir()
    (font_dir / "f.otf").write_bytes(b"OTTO")
    return CertificateFetcher(static, font_dir)


def test_fetcher_serves_static_files_and_fonts(fetcher):
    seal = fetcher(f"{STATIC_BASE}img/seal.svg")
    font = fetcher(f"{FONT_BASE}f.otf")

    assert seal.read().startswith(b"<svg") and seal.content_type == "image/svg+xml"
    assert font.read() == b"OTTO"


@pytest.mark.parametrize("url", [
    "file:///etc/passwd",
    "FILE:///etc/passwd",
    "http://127.0.0.1:5000/static/img/seal.svg",
    "https://example.com/seal.svg",
    "ftp://example.com/seal.svg",
    f"{STATIC_BASE}../secret.txt",
    f"{STATIC_BASE}%2e%2e/secret.txt",
    f"{STATIC_BASE}img/%2e%2e/%2e%2e/secret.txt",
    f"{STATIC_BASE}img/link.svg",  # a symlink leading out of the folder
    f"{STATIC_BASE}img/seal.svg?x=1",
    f"{STATIC_BASE}img/missing.svg",
    f"{FONT_BASE}../static/img/seal.svg",
    "https://certificate.invalid.example.com/static/img/seal.svg",
    "data:text/html;base64,PHNjcmlwdD4=",
    "data:image/svg+xml;base64,PHN2Zy8+",
    "data:image/png,notbase64",
])
def test_fetcher_refuses_anything_else(fetcher, url):
    with pytest.raises(FetchRefused):
        fetcher.fetch(url)


def test_a_refused_url_stops_the_render(app, fetcher):
    from weasyprint import HTML

    page = HTML(string='<img src="file:///etc/passwd">', base_url=STATIC_BASE,
                url_fetcher=fetcher)

    with pytest.raises(FatalURLFetchingError):
        page.write_pdf()


def test_subset_font_is_used_and_rare_names_fall_back_to_the_full_font(make_app, tmp_path):
    # a tiny subset without 堃 stands in for the GB2312 one (which also lacks it)
    font_dir = tmp_path / "fonts"
    face = fonts.FACES[0]
    fonts.build_subset(*fonts.system_font(face.fontconfig_pattern), font_dir / face.filename,
                       "张三丰兹证明0123456789")
    app = make_app(CERTIFICATE_FONT_DIR=str(font_dir))

    with app.app_context():
        pdf = render_certificate_pdf(make_cert(holder_name="张三堃"))

    names = embedded_fonts(pdf)
    assert any("UCA-Certificate-Serif" in name for name in names), names
    assert any("Noto-Serif-CJK-SC" in name for name in names), names
    assert all(names.values())
    assert "张三堃" in text_of(pdf)


def test_renders_with_the_system_font_when_the_subset_is_not_built(make_app, tmp_path):
    app = make_app(CERTIFICATE_FONT_DIR=str(tmp_path / "not-built"))

    with app.app_context():
        pdf = render_certificate_pdf(make_cert())

    names = embedded_fonts(pdf)
    assert not any("UCA-Certificate-Serif" in name for name in names)
    assert "张三丰" in text_of(pdf)


def test_chinese_dates_have_no_leading_zeros():
    assert chinese_date(date(2026, 1, 5)) == "2026年1月5日"
    assert chinese_date(date(2026, 11, 23)) == "2026年11月23日"


def test_subset_covers_gb2312():
    text = fonts.subset_text()

    assert len(fonts.gb2312_characters()) == 7445  # 6,763 hanzi + 682 symbols
    assert {"张", "丰", "证", "书", "年", "（", "）", "，", "A", "9"} <= set(text)
    assert "堃" not in text  # not in GB2312: printed with the full font
