"""Read pages under gunicorn — a lesson, the course catalogue, the public certificate
verification page — each against the bare Flask + SQLAlchemy page of 50 rows
(`proxy_app.py`'s ``/list50``) measured in the same run with the same server settings.

    .venv/bin/python bench/pages.py --database sqlite
    .venv/bin/python bench/pages.py --database postgresql   # bench_pages on 127.0.0.1

A fresh database with the demo data (`lms seed --demo`: the shipped courses, the demo
qualification and its holder's certificate); the demo candidate is enrolled in the
union-law course. The product (``app:app``) and the proxy run side by side under
``gunicorn -w 4 -k sync`` on that database, the load generator of
``exam_autosave.py`` in this process; product and proxy alternate in slices (ABAB).
Per page: throughput with ``--concurrency`` clients, p99, server CPU per request
and bytes. The product's rate limits are off for the run (one address asks
thousands of times; what a limit costs is one counter per request).

- **lesson**: the candidate reads the first lesson of union-law (the page also
  records that it was opened: one write and a commit per view);
- **course catalogue**: the candidate's catalogue of published courses (T6);
- **verify page**: anyone opens ``/verify/<serial>`` of the demo certificate.

Target (../shared/PERFORMANCE.md T6, the course list): throughput ≥ 0.6 × the proxy's.
Rows go to bench/results/latest.json.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
BENCH = ROOT / "bench"
sys.path[:0] = [str(ROOT), str(BENCH)]

import exam_autosave as harness  # noqa: E402
import results  # noqa: E402

PG_URL = "postgresql://postgres@127.0.0.1:5432/bench_pages"
PRODUCT_PORT, PROXY_PORT = 8111, 8112
TARGETS = {f"{page} throughput": "ratio ≥ 0.6"
           for page in ("lesson", "course catalogue", "verify page")}
TARGETS.update({f"{page} errors": "0" for page in ("lesson", "course catalogue", "verify page")})


def environment(url: str) -> dict[str, str]:
    return {**harness.environment(url), "LMS_RATELIMIT_ENABLED": "false"}


def prepare(url: str) -> dict[str, str]:
    """Fresh schema and demo data; the product's paths and the candidate's cookie."""
    harness.fresh_database(url)
    os.environ.update(environment(url))
    import proxy_app
    import sqlalchemy as sa
    from flask import session
    from flask_login.utils import _create_identifier
    from flask_migrate import upgrade

    from lms import create_app
    from lms.accounts.models import User
    from lms.certificates.models import Certificate
    from lms.courses import learning
    from lms.extensions import db
    from lms.seed import DEMO_HOLDER, seed_demo

    proxy_app.create_schema(url)
    app = create_app()
    app.config.update(SMTP_HOST=None)
    with app.app_context():
        upgrade()
        seed_demo()
        db.session.commit()
        candidate = db.session.scalar(sa.select(User).where(
            User.email == "candidate@demo.unioncadre.cn"))
        course = learning.published_course("union-law")
        learning.enrol(candidate, course)
        db.session.commit()
        lesson = learning.outline(candidate, course).lessons[0]["uid"]
        serial = db.session.scalar(sa.select(Certificate.serial).join(
            User, User.id == Certificate.holder_id).where(User.email == DEMO_HOLDER))
        serializer = app.session_interface.get_signing_serializer(app)
        with app.test_request_context(environ_base={"REMOTE_ADDR": "127.0.0.1"},
                                      headers={"User-Agent": harness.USER_AGENT}):
            session.permanent = True
            session.update({"_user_id": candidate.get_id(), "_fresh": True,
                            "_id": _create_identifier()})
            cookie = serializer.dumps(dict(session))
        db.session.remove()
        db.engine.dispose()
    return {"lesson": f"/courses/union-law/lessons/{lesson}",
            "course catalogue": "/courses",
            "verify page": f"/verify/{serial}",
            "cookie": f"{app.config['SESSION_COOKIE_NAME']}={cookie}"}


async def measure(args, database: str, paths: dict, product: harness.Server,
                  proxy: harness.Server) -> list[dict]:
    headers = f"Cookie: {paths['cookie']}\r\n"
    rows = []
    c = f"c={args.concurrency}"
    for page in ("lesson", "course catalogue", "verify page"):
        request = harness.get(paths[page], headers if page != "verify page" else "")
        targets = [harness.Target("product", product, None, lambda _c, r=request: r),
                   harness.Target("proxy", proxy, None, lambda _c: harness.get("/list50"))]
        for t in targets:  # warm-up
            await harness.closed_loop(t, lambda _c, _i, t=t: t.page(None), [None], 4, 2,
                                      harness.Sample())
        samples = await harness.alternate(targets, args.slices, lambda t, s: harness.closed_loop(
            t, lambda _c, _i, t=t: t.page(None), [None], args.concurrency, args.slice_seconds,
            s))
        harness.describe(page, samples)
        a, b = samples["product"], samples["proxy"]
        rows += [results.row(f"{page} throughput", a.rate, b.rate, f"pages/s ({c})", database),
                 results.row(f"{page} p99", 1000 * a.pct(99), 1000 * b.pct(99), f"ms ({c})",
                             database),
                 results.row(f"{page} server CPU per request", a.cpu_ms, b.cpu_ms, "ms",
                             database),
                 results.row(f"{page} bytes", statistics.median(a.bytes),
                             statistics.median(b.bytes), "bytes", database),
                 results.row(f"{page} errors", a.errors, b.errors, "requests", database)]
    return rows


def main() -> None:
    options = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    options.add_argument("--database", choices=("sqlite", "postgresql"), default="sqlite")
    options.add_argument("--url", help=f"database URL (default: a file in bench/.work or {PG_URL})")
    options.add_argument("--slices", type=int, default=3)
    options.add_argument("--slice-seconds", type=float, default=3)
    options.add_argument("--concurrency", type=int, default=20)
    options.add_argument("--workers", type=int, default=2 * (os.cpu_count() or 1))
    options.add_argument("--no-write", action="store_true", help="print only")
    args = options.parse_args()

    url = args.url or (PG_URL if args.database == "postgresql"
                       else "sqlite:///" + str(harness.WORK / "pages.sqlite3"))
    harness.WORK.mkdir(parents=True, exist_ok=True)
    began = time.perf_counter()
    paths = prepare(url)
    print(f"{args.database}: demo data in {time.perf_counter() - began:.1f} s ({url})")
    env = environment(url)
    servers = [harness.start_server("pages-product", "app:app", PRODUCT_PORT, env, args.workers),
               harness.start_server("pages-proxy", "proxy_app:app", PROXY_PORT, env,
                                    args.workers, ("--pythonpath", str(BENCH)))]
    try:
        async def run():
            await harness.wait_ready(servers[0], "/healthz")
            await harness.wait_ready(servers[1], "/plain")
            return await measure(args, args.database, paths, *servers)

        rows = asyncio.run(run())
    finally:
        for server in servers:
            harness.stop(server)
    print()
    print(results.table(rows, TARGETS))
    if not args.no_write:
        results.merge(rows)
        print(f"\nwritten to {results.LATEST.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
