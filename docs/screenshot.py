"""Take docs/screenshot.png: the demo administrator's dashboard at 1280 × 800.

    .venv/bin/python docs/screenshot.py

Serves the app on a throw-away SQLite database in a temporary folder
(migrated, with the demo data), logs in as admin@demo.unioncadre.cn in
Debian's Chromium and saves the page as it first appears after login. No
configured database, key or service is read or touched: every ``LMS_*``
variable is ignored.
"""

from __future__ import annotations

import os
import sys
import tempfile
import threading
from pathlib import Path

from werkzeug.serving import WSGIRequestHandler, make_server

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
OUTPUT = Path(__file__).resolve().parent / "screenshot.png"
VIEWPORT = {"width": 1280, "height": 800}
MAX_BYTES = 300 * 1024
ADMIN = "admin@demo.unioncadre.cn"


class QuietHandler(WSGIRequestHandler):
    def log_request(self, code="-", size="-"):
        pass


def build_demo_app(instance: Path):
    for name in [name for name in os.environ if name.startswith("LMS_")]:
        del os.environ[name]
    os.environ["LMS_INSTANCE_PATH"] = str(instance)

    from flask_migrate import upgrade

    from lms import create_app
    from lms.config import DevConfig
    from lms.extensions import db
    from lms.seed import seed_demo

    app = create_app(DevConfig)  # SQLite in the instance folder, secrets generated there
    with app.app_context():
        upgrade()
        seed_demo()
        db.session.commit()
    return app


def take_screenshot(url: str, password: str) -> None:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, headless=True,
                                             args=CHROMIUM_ARGS)
        try:
            page = browser.new_page(viewport=VIEWPORT, locale="zh-CN",
                                    timezone_id="Asia/Shanghai", base_url=url)
            page.goto("/login")
            page.locator("#email").fill(ADMIN)
            page.locator("#password").fill(password)
            page.locator("main form button[type=submit]").click()
            page.wait_for_url(f"{url}/dashboard")
            page.wait_for_load_state("load")
            page.evaluate("document.fonts.ready.then(() => true)")
            page.screenshot(path=OUTPUT)
        finally:
            browser.close()


def main() -> int:
    if not Path(CHROMIUM).exists():
        print(f"needs Debian's Chromium at {CHROMIUM} (apt-get install chromium)",
              file=sys.stderr)
        return 1
    with tempfile.TemporaryDirectory(prefix="lms-screenshot-") as tmp:
        app = build_demo_app(Path(tmp) / "instance")
        from lms.extensions import db
        from lms.seed import DEMO_PASSWORD

        server = make_server("127.0.0.1", 0, app, threaded=True, request_handler=QuietHandler)
        url = f"http://127.0.0.1:{server.server_port}"
        app.config["BASE_URL"] = url
        thread = threading.Thread(target=server.serve_forever, daemon=True)
        thread.start()
        try:
            take_screenshot(url, DEMO_PASSWORD)
        finally:
            server.shutdown()
            thread.join(timeout=10)
            server.server_close()
            with app.app_context():
                db.engine.dispose()
    size = OUTPUT.stat().st_size
    print(f"saved {OUTPUT} ({size // 1024} KB)")
    if size > MAX_BYTES:
        print(f"too large for the README: keep it under {MAX_BYTES // 1024} KB",
              file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
