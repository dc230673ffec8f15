"""The certificate PDF against a proxy certificate rendered by bare WeasyPrint, in the same run.

    .venv/bin/python bench/certificate_pdf.py [--renders 40] [--cold 3] [--no-write]

Three renderers, alternating render by render so that whatever else the
machine does hits them alike (../shared/PERFORMANCE.md, C1 and T7):

* **product**: ``lms.certificates.pdf.render_certificate_pdf`` inside an app
  context — the Jinja template, the QR code (segno), the photo checked with
  Pillow, the locked-down fetcher, the cached FontConfiguration and stylesheet;
* **proxy** (P-cert): bare WeasyPrint, no Flask, no custom fetcher: its own HTML
  string of the same layout (the same markup with the values pasted in), the same
  CSS and font files (the subset font through ``file:``), the QR code and
  photo prepared once, one FontConfiguration and one parsed CSS reused;
* **bare** (P-bare-pdf): a one-line A4 page.

Each renders a certificate with a 360 × 480 JPEG photo (the size the product
prints it at, as a stored ID photo would be). Figures, median of ``--renders``
warm renders each after three warm-ups:

* ``certificate PDF warm render``: product ÷ proxy, target ≤ 1.3;
* ``certificate PDF warm vs bare page``: product ÷ bare, target ≤ 10;
* ``certificate PDF warm render, phone photo``: the product given a 1200 × 1600
  photo (shrunk on every render) ÷ the proxy, for information;
* ``certificate PDF cold first render``: a fresh interpreter, imports and app
  creation excluded, the first render (builds the fonts and stylesheet), median
  of ``--cold`` runs each, product vs proxy, target value ≤ 1 s;
* ``certificate PDF bytes, with photo``: target value ≤ 150 KB;
* ``certificate PDF RSS after 50 renders``: a fresh interpreter renders 50
  certificates (different names and serials), resident memory then, product vs
  proxy, target value ≤ 200 MB.

The subset font comes from ``build/fonts`` (``make install``); without it both
sides use the full Noto Serif CJK SC and the script says so. Rows go to
``bench/results/latest.json`` (database "none").
"""

from __future__ import annotations

import argparse
import base64
import html
import io
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import date
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(ROOT / "bench")]

import results  # noqa: E402

NAMES = ["张伟", "王芳", "李娜", "刘洋", "陈静", "杨帆", "赵磊", "黄敏", "周杰", "吴霞"]
SERIAL = "7KQ2M-9X4TA-H3W8P-Q"
TARGETS = {
    "certificate PDF warm render": "ratio ≤ 1.3",
    "certificate PDF warm vs bare page": "ratio ≤ 10",
    "certificate PDF cold first render": "value ≤ 1 s",
    "certificate PDF bytes, with photo": "value ≤ 153,600",
    "certificate PDF RSS after 50 renders": "value ≤ 200 MB",
}


def photo(size: tuple[int, int]) -> bytes:
    """A portrait-like JPEG (gradient, face, shoulders, sensor noise)."""
    from PIL import Image, ImageDraw

    image = Image.linear_gradient("L").resize(size).convert("RGB")
    draw = ImageDraw.Draw(image)
    w, h = size
    draw.ellipse((w // 4, h // 5, 3 * w // 4, 5 * h // 8), fill=(230, 190, 160))
    draw.rectangle((w // 8, 5 * h // 8, 7 * w // 8, h), fill=(30, 40, 90))
    image = Image.blend(image, Image.effect_noise(size, 40).convert("RGB"), 0.2)
    buffer = io.BytesIO()
    image.save(buffer, "JPEG", quality=85)
    return buffer.getvalue()


def certificate(index: int, photo_bytes: bytes | None):
    from lms.certificates.pdf import CertificatePrint

    serial = f"{SERIAL[:-1]}{index % 10}"
    return CertificatePrint(
        holder_name=NAMES[index % len(NAMES)], photo=photo_bytes,
        qualification="工会干部职业资格", level="中级", serial=serial,
        issued_on=date(2026, 11, 23), expires_on=date(2029, 11, 22),
        issuer_name="北京市东城区总工会", verify_url=f"http://127.0.0.1:5000/verify/{serial}")


# --- the product ------------------------------------------------------------------

def product_app():
    """An app on a throwaway instance folder (rendering needs no database)."""
    work = Path(tempfile.mkdtemp(prefix="bench-cert-"))
    os.environ["LMS_INSTANCE_PATH"] = str(work)
    from lms import create_app

    return create_app({"DATABASE_URL": f"sqlite:///{work}/bench.sqlite3", "TESTING": True})


# --- the proxy: bare WeasyPrint ---------------------------------------------------

PROXY_HTML = """<!DOCTYPE html><html lang="zh-CN"><head><meta charset="utf-8">
<title>工会干部职业资格证书 {serial}</title></head><body>
<div class="sheet"><div class="frame"><div class="inner">
<h1>工会干部职业资格证书</h1><p class="subtitle">职业资格认证</p>
<div class="body with-photo"><img class="photo" src="{photo}" alt=""><div class="text">
<p class="statement">兹证明<span class="name">{name}</span>经培训考核合格，\
取得工会干部职业资格（中级），特发此证。</p>
<table class="facts">
<tr><th>姓　　名</th><td>{name}</td></tr><tr><th>资格名称</th><td>工会干部职业资格</td></tr>
<tr><th>资格等级</th><td>中级</td></tr><tr><th>证书编号</th><td class="serial">{serial}</td></tr>
<tr><th>发证日期</th><td>2026年11月23日</td></tr><tr><th>有效期至</th><td>2029年11月22日</td></tr>
</table></div></div>
<div class="footer"><div class="verify"><div class="qr">{qr}</div>
<div class="caption">扫码或访问以下网址核验本证书<br><span class="url">{url}</span></div></div>
<div class="issuer"><img class="seal" src="img/seals/default.svg" alt="">
<div class="who">北京市东城区总工会</div><div class="when">2026年11月23日</div></div></div>
</div></div></div></body></html>"""


class Proxy:
    """The same certificate by bare WeasyPrint: one FontConfiguration and CSS, reused."""

    def __init__(self, photo_bytes: bytes) -> None:
        import jinja2
        import segno
        from weasyprint import CSS
        from weasyprint.text.fonts import FontConfiguration

        from lms.certificates import fonts

        faces = fonts.subset_font_paths(fonts.DEFAULT_FONT_DIR)
        source = (ROOT / "templates" / "certificates" / "certificate.css").read_text()
        css = jinja2.Template(source).render(
            font_faces=[(w, p.resolve().as_uri()) for w, p in faces.items()],
            subset_family=fonts.SUBSET_FAMILY if faces else None,
            fallback_family=fonts.FALLBACK_FAMILY)
        self.font_config = FontConfiguration()
        self.stylesheet = CSS(string=css, font_config=self.font_config)
        self.photo = "data:image/jpeg;base64," + base64.b64encode(photo_bytes).decode()
        self.qr = segno.make_qr(f"http://127.0.0.1:5000/verify/{SERIAL}", error="m").svg_inline(
            omitsize=True, border=0, dark="#000", light=None)

    def render(self, index: int) -> bytes:
        from weasyprint import HTML

        serial = f"{SERIAL[:-1]}{index % 10}"
        page = PROXY_HTML.format(
            serial=serial, name=html.escape(NAMES[index % len(NAMES)]), photo=self.photo,
            qr=self.qr, url=html.escape(f"http://127.0.0.1:5000/verify/{serial}"))
        return HTML(string=page, base_url=str(ROOT / "static") + "/").write_pdf(
            stylesheets=[self.stylesheet], font_config=self.font_config)


def bare_page() -> bytes:
    from weasyprint import HTML

    return HTML(string="<style>@page { size: A4 }</style><p>Hello</p>").write_pdf()


# --- children: a fresh interpreter for the cold render and for memory --------------

def rss_mb() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def child(kind: str, renders: int) -> dict:
    """Run in a fresh interpreter: the first render's time, then RSS after ``renders``."""
    stored_photo = photo((360, 480))
    loaded = rss_mb()
    if kind == "product":
        app = product_app()
        from lms.certificates.pdf import render_certificate_pdf

        loaded = rss_mb()  # the whole app imported: its share is not the PDF's
        with app.app_context():
            start = time.perf_counter()
            render_certificate_pdf(certificate(0, stored_photo))
            first = time.perf_counter() - start
            for i in range(1, renders):
                render_certificate_pdf(certificate(i, stored_photo))
    else:
        import weasyprint  # noqa: F401 — the import is not part of the cold render

        start = time.perf_counter()
        proxy = Proxy(stored_photo)
        proxy.render(0)
        first = time.perf_counter() - start
        for i in range(1, renders):
            proxy.render(i)
    return {"first": first, "rss_mb": rss_mb(), "before_mb": loaded, "renders": renders}


def run_child(kind: str, renders: int) -> dict:
    out = subprocess.run([sys.executable, __file__, "--child", kind, "--renders", str(renders)],
                         capture_output=True, text=True, check=True, cwd=ROOT).stdout
    return json.loads(out.strip().splitlines()[-1])


# --- the run ----------------------------------------------------------------------

def timed(render, index: int) -> tuple[float, bytes]:
    start = time.perf_counter()
    pdf = render(index)
    return time.perf_counter() - start, pdf


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--renders", type=int, default=40)
    parser.add_argument("--cold", type=int, default=3, help="fresh interpreters per side")
    parser.add_argument("--no-write", action="store_true", help="print only")
    parser.add_argument("--child", choices=["product", "proxy"], help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        print(json.dumps(child(args.child, args.renders)))
        return

    from lms.certificates import fonts
    from lms.certificates.pdf import render_certificate_pdf

    subset = fonts.subset_font_paths(fonts.DEFAULT_FONT_DIR)
    print("subset font:", ", ".join(str(p) for p in subset.values()) or
          "NOT BUILT (python -m lms.certificates.fonts): both sides use the full font")
    stored, phone = photo((360, 480)), photo((1200, 1600))
    app = product_app()
    proxy = Proxy(stored)
    with app.app_context():
        sides = {
            "product": lambda i: render_certificate_pdf(certificate(i, stored)),
            "phone": lambda i: render_certificate_pdf(certificate(i, phone)),
            "proxy": proxy.render,
            "bare": lambda i: bare_page(),
        }
        times: dict[str, list[float]] = {side: [] for side in sides}
        sizes: dict[str, int] = {}
        for i in range(-3, args.renders):  # three warm-ups each, then interleaved
            for side, render in sides.items():
                seconds, pdf = timed(render, i)
                if i >= 0:
                    times[side].append(seconds)
                    sizes[side] = len(pdf)

    median = {side: statistics.median(values) * 1000 for side, values in times.items()}
    for side, values in times.items():
        print(f"{side:8} warm ms: median {median[side]:.1f}, "
              f"min {min(values) * 1000:.1f}, max {max(values) * 1000:.1f}")

    colds: dict[str, list[dict]] = {"product": [], "proxy": []}
    for _ in range(args.cold):  # alternating fresh interpreters
        for side in colds:
            colds[side].append(run_child(side, 1))
    cold = {side: statistics.median(r["first"] for r in runs) for side, runs in colds.items()}
    print("cold first render s: " + "; ".join(
        f"{side} " + " ".join(f"{r['first']:.3f}" for r in runs) for side, runs in colds.items()))
    children = {side: run_child(side, 50) for side in ("product", "proxy")}
    memory = {side: r["rss_mb"] for side, r in children.items()}
    print("RSS after 50 renders (before the first): " + ", ".join(
        f"{side} {r['rss_mb']:.0f} MB ({r['before_mb']:.0f} MB)" for side, r in children.items()))

    unit = f"ms (median of {args.renders})"
    rows = [
        results.row("certificate PDF warm render", median["product"], median["proxy"], unit,
                    "none"),
        results.row("certificate PDF warm vs bare page", median["product"], median["bare"], unit,
                    "none"),
        results.row("certificate PDF warm render, phone photo", median["phone"],
                    median["proxy"], unit, "none"),
        results.row("certificate PDF cold first render", cold["product"], cold["proxy"],
                    f"s (median of {args.cold} fresh processes)", "none"),
        results.row("certificate PDF bytes, with photo", sizes["product"], sizes["proxy"],
                    "bytes", "none"),
        results.row("certificate PDF RSS after 50 renders", memory["product"],
                    memory["proxy"], "MB", "none"),
    ]
    if not args.no_write:
        results.merge(rows)
    print(results.table(rows, TARGETS))


if __name__ == "__main__":
    main()
