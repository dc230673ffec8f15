"""Key pages at 1,000 and at 100,000 candidates: how much slower does each get?

    .venv/bin/python bench/data_scale.py --database sqlite
    .venv/bin/python bench/data_scale.py --database postgresql   # bench_scale_1k / _100k

Two fresh databases (the migrations, then `lms.bench_data.generate`: candidates,
an attempt each in sessions of 200, their answers and results, half of them
certified, the retraining tick run once), one with ``--small`` and one with
``--large`` candidates. Then, in this process, one app per database and the
Flask test client (the pages' own work: queries, Python and Jinja, no HTTP
server), each page requested ``--rounds`` times alternating small and large
(ABAB, so whatever else the machine does hits both alike), by the user who
would open it: the candidate dashboard, the officer's certificate list and its
searches by name and by serial, the public verification page, the proctor's
console of one session, the officer's retraining dashboard, the admin's user
list and its search. The figure per page is the median time at the large size
against the median at the small size: the growth factor (target ≤ 1.5).

Rows go to bench/results/latest.json (database ``sqlite`` or ``postgresql``);
``--keep`` reuses databases built by an earlier run with the same sizes.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import os
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
WORK = ROOT / "bench" / ".work"
sys.path[:0] = [str(ROOT), str(ROOT / "bench")]

import results  # noqa: E402

PG_SERVER = "postgresql://postgres@127.0.0.1:5432"
TARGET = "ratio ≤ 1.5"


def label(size: int) -> str:
    return f"{size // 1000}k" if size % 1000 == 0 else str(size)


def database_url(kind: str, size: int, server: str = PG_SERVER) -> str:
    if kind == "postgresql":
        return f"{server.rstrip('/')}/bench_scale_{label(size)}"
    return f"sqlite:///{WORK}/scale-{label(size)}.sqlite3"


def settings(url: str) -> dict:
    """The app's configuration: production-like (no template reloading, no debug);
    rate limits off, as every page is requested many times from one address."""
    keys = WORK / "keys.json"
    if not keys.exists():
        from cryptography.fernet import Fernet

        WORK.mkdir(parents=True, exist_ok=True)
        keys.write_text(json.dumps({"secret": os.urandom(32).hex(),
                                    "fernet": Fernet.generate_key().decode()}))
    secrets = json.loads(keys.read_text())
    os.environ.update({"LMS_ENV": "production", "LMS_SECRET_KEY": secrets["secret"],
                       "LMS_ID_ENCRYPTION_KEY": secrets["fernet"],
                       "LMS_INSTANCE_PATH": str(WORK / "instance")})
    return {"DATABASE_URL": url, "RATELIMIT_ENABLED": False, "SMTP_HOST": None,
            "SERVER_NAME": None}


def build(kind: str, size: int, seed: int, keep: bool,
          server: str = PG_SERVER) -> tuple[str, float | None]:
    """A database of ``size`` candidates; the seconds bench-data took (None if kept)."""
    from lms import create_app

    url = database_url(kind, size, server)
    if keep and _has_users(url):
        return url, None
    if kind == "postgresql":
        import databases

        databases.fresh(kind, url, "")
    else:
        path = Path(url.removeprefix("sqlite:///"))
        for suffix in ("", "-wal", "-shm"):
            Path(f"{path}{suffix}").unlink(missing_ok=True)
    from flask_migrate import upgrade

    from lms.bench_data import generate
    from lms.extensions import db

    app = create_app(settings(url))
    with app.app_context():
        upgrade()
        started = time.perf_counter()
        report = generate(candidates=size, attempts=size, seed=seed)
        seconds = time.perf_counter() - started
        if kind == "postgresql":
            db.session.execute(db.text("ANALYZE"))
            db.session.commit()
        db.session.remove()
        db.engine.dispose()
    print(f"{kind}: {size:,} candidates built in {seconds:.1f} s: {dataclasses.asdict(report)}")
    return url, seconds


def _has_users(url: str) -> bool:
    import sqlalchemy as sa

    if url.startswith("sqlite:///") and not Path(url.removeprefix("sqlite:///")).exists():
        return False
    if url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url.removeprefix("postgresql://")
    engine = sa.create_engine(url)
    try:
        with engine.connect() as conn:
            return bool(conn.scalar(sa.text("SELECT count(*) FROM users")))
    except sa.exc.SQLAlchemyError:
        return False
    finally:
        engine.dispose()


class Site:
    """One app on one database, and the URLs of the same pages for the same kinds of user."""

    def __init__(self, url: str):
        import sqlalchemy as sa

        from lms import create_app
        from lms.accounts.models import User
        from lms.certificates.models import Certificate
        from lms.exams.models import ExamSession
        from lms.extensions import db

        self.app = create_app(settings(url))
        with self.app.app_context():
            def user(email):
                return db.session.scalar(sa.select(User).where(User.email == email))

            self.logins = {role: user(f"{role}@bench.cn").get_id()
                           for role in ("admin", "officer", "proctor")}
            # a certified candidate, the same one at every size (the generator is seeded)
            certificate = db.session.scalar(
                sa.select(Certificate).where(Certificate.status == "active")
                .order_by(Certificate.status_index).limit(1))
            self.logins["candidate"] = certificate.holder.get_id()
            surname = certificate.holder.real_name[:2]
            newest = db.session.scalar(sa.select(ExamSession.id)
                                       .order_by(ExamSession.starts_at.desc()).limit(1))
            self.pages = {
                "candidate dashboard": ("candidate", "/dashboard"),
                "officer certificate list": ("officer", "/certificate-admin/"),
                "officer certificate search, name": ("officer",
                                                     f"/certificate-admin/?q={surname}"),
                "officer certificate search, serial": (
                    "officer", f"/certificate-admin/?q={certificate.serial}"),
                "verify page": (None, f"/verify/{certificate.serial}"),
                "proctor console, 200 candidates": ("proctor", f"/proctor/sessions/{newest}"),
                "retraining dashboard": ("officer", "/retraining-admin/"),
                "admin user list": ("admin", "/admin/users"),
                "admin user search": ("admin", f"/admin/users?q={surname}"),
            }
            db.session.remove()
        self.clients = {}
        for role, user_id in [*self.logins.items(), (None, None)]:
            client = self.app.test_client()
            if user_id:
                with client.session_transaction() as session:
                    session["_user_id"] = user_id
                    session["_fresh"] = True
            self.clients[role] = client

    def get(self, page: str) -> float:
        role, path = self.pages[page]
        started = time.perf_counter()
        response = self.clients[role].get(path)
        elapsed = time.perf_counter() - started
        if response.status_code != 200:
            raise RuntimeError(f"{page}: {path} answered {response.status_code}")
        return elapsed

    def close(self) -> None:
        from lms.extensions import db

        with self.app.app_context():
            db.engine.dispose()


def measure(small: Site, large: Site, rounds: int) -> dict[str, tuple[float, float]]:
    """Median seconds per page at each size, requests alternating between the sizes."""
    timings = {}
    for page in small.pages:
        for site in (small, large):  # warm-up: templates compiled, caches filled
            site.get(page)
            site.get(page)
        times = {"small": [], "large": []}
        for _ in range(rounds):
            times["small"].append(small.get(page))
            times["large"].append(large.get(page))
        timings[page] = (statistics.median(times["small"]), statistics.median(times["large"]))
    return timings


def main() -> None:
    options = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    options.add_argument("--database", choices=("sqlite", "postgresql"), default="sqlite")
    options.add_argument("--small", type=int, default=1_000)
    options.add_argument("--large", type=int, default=100_000)
    options.add_argument("--rounds", type=int, default=15)
    options.add_argument("--seed", type=int, default=1)
    options.add_argument("--server", default=PG_SERVER,
                         help="PostgreSQL server on which bench_scale_<size> are (re)created")
    options.add_argument("--keep", action="store_true",
                         help="reuse databases of these sizes built by an earlier run")
    options.add_argument("--no-write", action="store_true", help="print only")
    args = options.parse_args()
    WORK.mkdir(parents=True, exist_ok=True)

    small_url, _ = build(args.database, args.small, args.seed, args.keep, args.server)
    large_url, large_seconds = build(args.database, args.large, args.seed, args.keep,
                                     args.server)
    small, large = Site(small_url), Site(large_url)
    try:
        timings = measure(small, large, args.rounds)
    finally:
        small.close()
        large.close()
    sizes = f"{label(args.large)} vs {label(args.small)} candidates"
    rows = [results.row(f"data scale: {page}", 1000 * big, 1000 * little, f"ms ({sizes})",
                        args.database) for page, (little, big) in timings.items()]
    if large_seconds is not None:
        rows.append(results.row(f"bench-data, {args.large:,} candidates", large_seconds, None,
                                "s", args.database))
    print()
    print(results.table(rows, {r["name"]: TARGET for r in rows if r["unit"] != "s"}))
    if not args.no_write:
        results.merge(rows)
        print(f"\nwritten to {results.LATEST.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
