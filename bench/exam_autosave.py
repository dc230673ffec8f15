"""Exam day under gunicorn: autosave, the synchronised start and the 100-question page,
each against a bare Flask + SQLAlchemy baseline (`proxy_app.py`) measured in the same run.

    .venv/bin/python bench/exam_autosave.py --database sqlite
    .venv/bin/python bench/exam_autosave.py --database postgresql   # bench_exam on 127.0.0.1

Every run starts from a fresh database: the schema by the migrations, a bank of
120 four-choice questions, a published 100-question exam, one open session and
N candidates (default 300) booked, checked in and started through the app's
services (`lms.exams.registration.book`, `attempts.check_in`, `attempts.start`,
as ``tests/exam_factories.py`` builds them). Each candidate gets a session
cookie minted with the app's own session serializer (what the tests'
``login()`` writes: ``_user_id`` with the session generation, ``_fresh``, a
CSRF token, a permanent session as `start_session` makes) and the device
cookie `attempts.start` returned.

The product (``app:app``) and the proxy (``proxy_app:app``) run side by side
under gunicorn with the same settings (``-w 4 -k sync``: 2 × cores, as
../shared/PERFORMANCE.md says) on the same database; the load generator is
a small asyncio HTTP/1.1 client in this process, on the same two cores (so
every figure is a proxy figure, not a capacity). Measured, product then proxy,
alternating in slices (ABAB) so drift hits both alike:

1. autosave at the exam-day rate: each candidate saves one answer every
   ``--period`` seconds (300 / 15 s = 20 req/s), spread evenly; p50, p99, errors;
2. autosave saturated: ``--concurrency`` clients post back to back; req/s,
   p50, p99, server CPU-ms per request (gunicorn's processes, from /proc);
3. the synchronised start: all N candidates open their exam page at random
   moments within one second; first-page p50/p99, drain time, errors; the bound
   is N ÷ (0.5 × proxy exam-page rate) + 1 s (issue 6, PERFORMANCE.md T4);
4. the 100-question exam page saturated, against the proxy's bare Jinja render
   of the same page.

Results replace this script's rows in ``bench/results/latest.json``. Nothing is
asserted; targets are printed beside the figures.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import random
import shutil
import signal
import statistics
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BENCH = ROOT / "bench"
WORK = BENCH / ".work"
USER_AGENT = "unioncadre-bench/1"
PG_URL = "postgresql://postgres@127.0.0.1:5432/bench_exam"
PRODUCT_PORT, PROXY_PORT = 8101, 8102

sys.path.insert(0, str(BENCH))
sys.path.insert(0, str(ROOT))

import results  # noqa: E402

TARGETS = {
    "autosave throughput, saturated": "ratio ≥ 0.6",
    "autosave p99, saturated": "ratio ≤ 2",
    "autosave p99, exam-day rate": "value < 100 ms",
    "autosave errors, exam-day rate": "0",
    "autosave errors, saturated": "0",
    "exam start p99 vs bound": "ratio ≤ 1",
    "exam start errors": "0",
    "exam page throughput, 100 questions": "ratio ≥ 0.5",
    "exam page bytes": "ratio ≤ 1.5",
}


# -- preparing the database ----------------------------------------------------------


def environment(url: str) -> dict[str, str]:
    """The app's settings for both the preparation and gunicorn (same keys, same DB)."""
    keys = WORK / "keys.json"
    if not keys.exists():
        from cryptography.fernet import Fernet

        WORK.mkdir(parents=True, exist_ok=True)
        keys.write_text(json.dumps({"secret": os.urandom(32).hex(),
                                    "fernet": Fernet.generate_key().decode()}))
    secrets = json.loads(keys.read_text())
    return {"LMS_ENV": "production", "LMS_DATABASE_URL": url,
            "LMS_INSTANCE_PATH": str(WORK / "instance"), "LMS_SECRET_KEY": secrets["secret"],
            "LMS_ID_ENCRYPTION_KEY": secrets["fernet"], "BENCH_DATABASE_URL": url}


def fresh_database(url: str) -> None:
    if url.startswith("sqlite:///"):
        path = Path(url.removeprefix("sqlite:///"))
        for suffix in ("", "-wal", "-shm"):
            Path(str(path) + suffix).unlink(missing_ok=True)
        path.parent.mkdir(parents=True, exist_ok=True)
        return
    import psycopg

    name = url.rsplit("/", 1)[1]
    with psycopg.connect(url.rsplit("/", 1)[0] + "/postgres", autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')


def prepare(url: str, candidates: int) -> list[dict]:
    """Fresh schema, the exam and ``candidates`` started attempts; their cookies."""
    fresh_database(url)
    os.environ.update(environment(url))
    from decimal import Decimal as D

    import proxy_app
    from flask import g, session
    from flask_migrate import upgrade
    from flask_wtf.csrf import generate_csrf

    from lms import create_app
    from lms.clock import utcnow
    from lms.domain.items import Choice, SingleChoiceSpec
    from lms.exams import attempts, registration
    from lms.extensions import db
    from tests.exam_factories import make_exam, make_session, ready_candidate
    from tests.practice_factories import add_question, make_bank

    proxy_app.create_schema(url)
    app = create_app()
    with app.app_context():
        upgrade()
        bank = make_bank("bench-union-law")
        for n in range(1, 121):
            add_question(bank, SingleChoiceSpec(
                stem=f"第{n}题：依照《中华人民共和国工会法》，关于基层工会委员会的下列说法，正确的是？",
                points=D(1), explanation=f"解析{n}：见工会法第十一条。",
                choices=tuple(Choice(key, f"选项{key}：第{n}种说法",
                                     D(100) if key == "b" else D(0)) for key in "abcd")))
        exam = make_exam(items=100, bank=bank, duration_minutes=600, code="bench-exam",
                         title="工会法考试（基准）")
        exam_session = make_session(exam, capacity=candidates, minutes=720, deadline_in=60)
        serializer = app.session_interface.get_signing_serializer(app)
        prepared = []
        for n in range(candidates):
            user = ready_candidate(email=f"bench{n}@example.cn", name=f"考生{n}")
            now = utcnow()
            attempt = registration.book(user, exam_session, now)
            db.session.commit()
            attempts.check_in(attempt, exam_session.access_code, now)
            db.session.commit()
            token = attempts.start(attempt, now)
            db.session.commit()
            # what Flask-Login's login_user and the tests' login() put in the session
            with app.test_request_context(environ_base={"REMOTE_ADDR": "127.0.0.1"},
                                          headers={"User-Agent": USER_AGENT}):
                from flask_login.utils import _create_identifier

                session.permanent = True
                session.update({"_user_id": user.get_id(), "_fresh": True,
                                "_id": _create_identifier()})
                g.pop("csrf_token", None)  # generate_csrf caches in the shared app context
                csrf = generate_csrf()
                cookie = serializer.dumps(dict(session))
            prepared.append({"attempt": attempt.id, "csrf": csrf,
                             "cookie": f"{app.config['SESSION_COOKIE_NAME']}={cookie}; "
                                       f"exam_device_{attempt.id}={token}"})
        db.session.remove()
        db.engine.dispose()
    return prepared


# -- servers ---------------------------------------------------------------------------


@dataclass
class Server:
    name: str
    port: int
    process: subprocess.Popen

    def cpu_seconds(self) -> float:
        """User + system CPU of the gunicorn master and its workers so far."""
        ticks = os.sysconf("SC_CLK_TCK")
        total = 0
        for stat in Path("/proc").glob("[0-9]*/stat"):
            with contextlib.suppress(OSError):
                fields = stat.read_text().rsplit(")", 1)[1].split()
                pid, ppid = int(stat.parent.name), int(fields[1])
                if self.process.pid in (pid, ppid):
                    total += int(fields[11]) + int(fields[12])
        return total / ticks


def start_server(name: str, target: str, port: int, env: dict, workers: int,
                 extra: tuple[str, ...] = ()) -> Server:
    command = [str(Path(sys.executable).parent / "gunicorn"), "-w", str(workers), "-k", "sync",
               "-b", f"127.0.0.1:{port}", "--backlog", "2048", "--log-level", "warning",
               "--timeout", "120", *extra, target]
    log = (WORK / f"{name}.log").open("w")
    process = subprocess.Popen(command, cwd=ROOT, env={**os.environ, **env}, stdout=log,
                               stderr=subprocess.STDOUT, start_new_session=True)
    return Server(name, port, process)


async def wait_ready(server: Server, path: str, seconds: float = 60) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if server.process.poll() is not None:
            raise RuntimeError(f"{server.name} exited; see {WORK / (server.name + '.log')}")
        with contextlib.suppress(OSError):
            if (await fetch(server.port, get(path)))[0] == 200:
                return
        await asyncio.sleep(0.2)
    raise RuntimeError(f"{server.name} did not answer on port {server.port}")


def stop(server: Server) -> None:
    with contextlib.suppress(ProcessLookupError):
        os.killpg(server.process.pid, signal.SIGTERM)
    with contextlib.suppress(subprocess.TimeoutExpired):
        server.process.wait(10)


# -- the load generator --------------------------------------------------------------------
# A bare HTTP/1.1 client: gunicorn's sync workers close the connection after each
# response, so a request is connect, write, read to EOF. Costs far less CPU than an
# HTTP library, which matters when the client shares the server's two cores.


def get(path: str, headers: str = "") -> bytes:
    return (f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nUser-Agent: {USER_AGENT}\r\n"
            f"{headers}Connection: close\r\n\r\n").encode()


def post_json(path: str, body: bytes, headers: str = "") -> bytes:
    return (f"POST {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nUser-Agent: {USER_AGENT}\r\n"
            f"{headers}Content-Type: application/json\r\nAccept: application/json\r\n"
            f"Content-Length: {len(body)}\r\nConnection: close\r\n\r\n").encode() + body


async def fetch(port: int, request: bytes, timeout: float = 60) -> tuple[int, int, float]:
    """(status, response bytes, seconds); status 0 on a connection error or timeout."""
    start = time.perf_counter()
    try:
        async with asyncio.timeout(timeout):
            reader, writer = await asyncio.open_connection("127.0.0.1", port)
            writer.write(request)
            data = await reader.read()
            writer.close()
    except (OSError, TimeoutError):
        return 0, 0, time.perf_counter() - start
    status = int(data[9:12]) if data.startswith(b"HTTP/1.") else 0
    return status, len(data) - data.find(b"\r\n\r\n") - 4, time.perf_counter() - start


_sequence = 0  # the database is fresh each run; PostgreSQL's column is 64-bit anyway


def save_body(slot: int) -> bytes:
    """One answer, as exam.js posts it; sequence numbers only grow."""
    global _sequence
    _sequence += 1
    return json.dumps({"saves": [{"slot": slot, "seq": _sequence,
                                  "response": {f"s{slot}": [random.choice("abcd")]}}]}).encode()


@dataclass
class Target:
    """How one side (product or proxy) builds its requests."""

    name: str
    server: Server
    autosave: callable
    page: callable


def product_target(server: Server) -> Target:
    def headers(c):
        return f"Cookie: {c['cookie']}\r\nX-CSRFToken: {c['csrf']}\r\n"

    return Target("product", server,
                  lambda c, slot: post_json(f"/exams/attempts/{c['attempt']}/answers",
                                            save_body(slot), headers(c)),
                  lambda c: get(f"/exams/attempts/{c['attempt']}", headers(c)))


def proxy_target(server: Server) -> Target:
    return Target("proxy", server,
                  lambda c, slot: post_json(f"/autosave/{c['attempt']}", save_body(slot)),
                  lambda c: get(f"/exam100/{c['attempt']}"))


@dataclass
class Sample:
    latencies: list[float] = field(default_factory=list)
    errors: int = 0
    seconds: float = 0.0
    cpu: float = 0.0
    bytes: list[int] = field(default_factory=list)
    statuses: dict[int, int] = field(default_factory=dict)

    def add(self, status: int, size: int, latency: float, ok=(200,)) -> None:
        self.latencies.append(latency)
        self.bytes.append(size)
        self.statuses[status] = self.statuses.get(status, 0) + 1
        if status not in ok:
            self.errors += 1

    @property
    def rate(self) -> float:
        return len(self.latencies) / self.seconds if self.seconds else 0.0

    def pct(self, p: float) -> float:
        ordered = sorted(self.latencies)
        return ordered[min(len(ordered) - 1, int(p / 100 * len(ordered)))] if ordered else 0.0

    @property
    def cpu_ms(self) -> float:
        return 1000 * self.cpu / len(self.latencies) if self.latencies else 0.0


async def closed_loop(target: Target, build, candidates: list[dict], concurrency: int,
                      seconds: float, sample: Sample) -> None:
    """``concurrency`` clients, each sending its next request when the last returns."""
    counter = iter(range(10**9))
    end = time.perf_counter() + seconds

    async def client():
        while time.perf_counter() < end:
            n = next(counter)
            status, size, latency = await fetch(target.server.port,
                                                build(candidates[n % len(candidates)], n))
            sample.add(status, size, latency)

    cpu, start = target.server.cpu_seconds(), time.perf_counter()
    await asyncio.gather(*(client() for _ in range(concurrency)))
    sample.seconds += time.perf_counter() - start
    sample.cpu += target.server.cpu_seconds() - cpu


async def paced(target: Target, candidates: list[dict], period: float, seconds: float,
                sample: Sample) -> None:
    """Each candidate autosaves once every ``period`` seconds, the candidates spread evenly."""
    plan = sorted((k * period + i * period / len(candidates), c)
                  for k in range(max(1, round(seconds / period)))
                  for i, c in enumerate(candidates))
    tasks = []
    cpu, start = target.server.cpu_seconds(), time.perf_counter()

    async def one(c):
        sample.add(*await fetch(target.server.port, target.autosave(c, random.randrange(100))))

    for due, c in plan:
        delay = start + due - time.perf_counter()
        if delay > 0:
            await asyncio.sleep(delay)
        tasks.append(asyncio.create_task(one(c)))
    await asyncio.gather(*tasks)
    sample.seconds += time.perf_counter() - start
    sample.cpu += target.server.cpu_seconds() - cpu


async def synchronised_start(target: Target, candidates: list[dict], window: float,
                             sample: Sample) -> float:
    """Every candidate opens the exam page at a random moment in ``window``; drain seconds."""
    rng = random.Random(6)
    offsets = sorted((rng.uniform(0, window), c) for c in candidates)
    start, finished = time.perf_counter(), []

    async def one(offset, c):
        await asyncio.sleep(max(0.0, start + offset - time.perf_counter()))
        sample.add(*await fetch(target.server.port, target.page(c), timeout=120))
        finished.append(time.perf_counter())

    cpu = target.server.cpu_seconds()
    await asyncio.gather(*(one(offset, c) for offset, c in offsets))
    sample.seconds = max(finished) - start
    sample.cpu = target.server.cpu_seconds() - cpu
    return sample.seconds


async def alternate(targets: list[Target], slices: int, run) -> dict[str, Sample]:
    """ABAB: ``run(target, sample)`` for each target in turn, ``slices`` times."""
    samples = {t.name: Sample() for t in targets}
    for _ in range(slices):
        for t in targets:
            await run(t, samples[t.name])
    return samples


# -- the run ----------------------------------------------------------------------------


def describe(label: str, samples: dict[str, Sample]) -> None:
    for name, s in samples.items():
        codes = ", ".join(f"{code}×{count}" for code, count in sorted(s.statuses.items()))
        print(f"  {label:<34} {name:<7} {len(s.latencies):6d} req  {s.rate:8.1f}/s  "
              f"p50 {1000 * s.pct(50):7.1f} ms  p99 {1000 * s.pct(99):7.1f} ms  "
              f"CPU {s.cpu_ms:5.2f} ms/req  [{codes}]")


async def measure(args, database: str, candidates: list[dict], product: Target,
                  proxy: Target) -> list[dict]:
    both, rows = [product, proxy], []
    n, label = len(candidates), database

    print(f"{database}: warm-up")
    for t in both:
        await closed_loop(t, lambda c, i, t=t: t.autosave(c, i % 100), candidates, 8, 2,
                          Sample())
        await closed_loop(t, lambda c, i, t=t: t.page(c), candidates, 4, 2, Sample())

    rate = n / args.period
    print(f"{database}: autosave at the exam-day rate ({n} candidates every {args.period:g} s "
          f"= {rate:.0f} req/s), {args.slices} × {args.paced_seconds:g} s each")
    paced_samples = await alternate(both, args.slices, lambda t, s: paced(
        t, candidates, args.period, args.paced_seconds, s))
    describe("autosave, exam-day rate", paced_samples)
    a, b = paced_samples["product"], paced_samples["proxy"]
    day = f"{n} every {args.period:g} s"
    rows += [results.row("autosave p50, exam-day rate", 1000 * a.pct(50), 1000 * b.pct(50),
                         f"ms ({day})", label),
             results.row("autosave p99, exam-day rate", 1000 * a.pct(99), 1000 * b.pct(99),
                         f"ms ({day})", label),
             results.row("autosave errors, exam-day rate", a.errors, b.errors, "requests",
                         label)]

    print(f"{database}: autosave saturated (c={args.concurrency}), "
          f"{args.slices} × {args.slice_seconds:g} s each")
    saturated = await alternate(both, args.slices, lambda t, s: closed_loop(
        t, lambda c, i: t.autosave(c, i % 100), candidates, args.concurrency,
        args.slice_seconds, s))
    describe("autosave, saturated", saturated)
    a, b = saturated["product"], saturated["proxy"]
    c = f"c={args.concurrency}"
    rows += [results.row("autosave throughput, saturated", a.rate, b.rate, f"req/s ({c})", label),
             results.row("autosave p50, saturated", 1000 * a.pct(50), 1000 * b.pct(50),
                         f"ms ({c})", label),
             results.row("autosave p99, saturated", 1000 * a.pct(99), 1000 * b.pct(99),
                         f"ms ({c})", label),
             results.row("autosave server CPU per request", a.cpu_ms, b.cpu_ms, "ms", label),
             results.row("autosave errors, saturated", a.errors, b.errors, "requests", label)]

    print(f"{database}: exam page saturated (c={args.concurrency}), "
          f"{args.slices} × {args.slice_seconds:g} s each")
    pages = await alternate(both, args.slices, lambda t, s: closed_loop(
        t, lambda c, i: t.page(c), candidates, args.concurrency, args.slice_seconds, s))
    describe("exam page, saturated", pages)
    a, b = pages["product"], pages["proxy"]
    rows += [results.row("exam page throughput, 100 questions", a.rate, b.rate,
                         f"pages/s ({c})", label),
             results.row("exam page p99, 100 questions", 1000 * a.pct(99), 1000 * b.pct(99),
                         f"ms ({c})", label),
             results.row("exam page server CPU per request", a.cpu_ms, b.cpu_ms, "ms", label),
             results.row("exam page bytes", statistics.median(a.bytes),
                         statistics.median(b.bytes), "bytes", label)]
    proxy_page_rate = b.rate

    print(f"{database}: synchronised start ({n} candidates within {args.window:g} s)")
    starts = {}
    for t in both:
        await asyncio.sleep(2)  # let the previous phase drain
        starts[t.name] = Sample()
        await synchronised_start(t, candidates, args.window, starts[t.name])
    describe("exam start (first page)", starts)
    a, b = starts["product"], starts["proxy"]
    bound = n / (0.5 * proxy_page_rate) + 1
    print(f"  bound: {n} ÷ (0.5 × {proxy_page_rate:.0f} pages/s) + 1 s = {bound:.2f} s; "
          f"product drain {a.seconds:.2f} s, proxy drain {b.seconds:.2f} s")
    start_label = f"s ({n} in {args.window:g} s)"
    rows += [results.row("exam start p99 vs bound", a.pct(99), bound, start_label, label),
             results.row("exam start p99 vs proxy", a.pct(99), b.pct(99), start_label, label),
             results.row("exam start p50 vs proxy", a.pct(50), b.pct(50), start_label, label),
             results.row("exam start errors", a.errors, b.errors, "requests", label)]
    return rows


def main() -> None:
    options = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    options.add_argument("--database", choices=("sqlite", "postgresql"), default="sqlite")
    options.add_argument("--url", help=f"database URL (default: a file in {WORK} or {PG_URL})")
    options.add_argument("--candidates", type=int, default=300)
    options.add_argument("--period", type=float, default=15, help="seconds between a "
                         "candidate's autosaves")
    options.add_argument("--paced-seconds", type=float, default=15,
                         help="length of one exam-day-rate slice")
    options.add_argument("--slices", type=int, default=4, help="ABAB slices per measurement")
    options.add_argument("--slice-seconds", type=float, default=5,
                         help="length of one saturated slice")
    options.add_argument("--concurrency", type=int, default=50)
    options.add_argument("--window", type=float, default=1.0, help="synchronised start window")
    options.add_argument("--workers", type=int, default=2 * (os.cpu_count() or 1))
    options.add_argument("--no-write", action="store_true", help="print only")
    args = options.parse_args()

    url = args.url or (PG_URL if args.database == "postgresql"
                       else "sqlite:///" + str(WORK / "bench.sqlite3"))
    WORK.mkdir(parents=True, exist_ok=True)
    began = time.perf_counter()
    candidates = prepare(url, args.candidates)
    print(f"{args.database}: prepared {len(candidates)} started attempts in "
          f"{time.perf_counter() - began:.1f} s ({url})")
    env = environment(url)
    servers = [start_server("product", "app:app", PRODUCT_PORT, env, args.workers),
               start_server("proxy", "proxy_app:app", PROXY_PORT, env, args.workers,
                            ("--pythonpath", str(BENCH)))]
    try:
        async def run():
            await wait_ready(servers[0], "/healthz")
            await wait_ready(servers[1], "/plain")
            return await measure(args, args.database, candidates,
                                 product_target(servers[0]), proxy_target(servers[1]))

        rows = asyncio.run(run())
    finally:
        for server in servers:
            stop(server)
    print()
    print(results.table(rows, TARGETS))
    if not args.no_write:
        results.merge(rows)
        print(f"\nwritten to {results.LATEST.relative_to(ROOT)}")


if __name__ == "__main__":
    if shutil.which("gunicorn", path=str(Path(sys.executable).parent)) is None:
        sys.exit("gunicorn is not installed next to this Python")
    main()
