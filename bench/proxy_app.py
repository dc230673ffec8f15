"""The baseline for the exam benchmarks: bare Flask + SQLAlchemy, nothing of the product.

    gunicorn -w 4 -k sync --pythonpath bench proxy_app:app     (BENCH_DATABASE_URL=…)

Two endpoints stand in for the least this stack can do (../shared/PERFORMANCE.md, C1):

``POST /autosave/<attempt_id>``
    reads the same JSON body as the product's autosave (``{"saves": [{"slot",
    "seq", "response"}]}``) and runs one INSERT … ON CONFLICT DO UPDATE (keep
    the higher sequence) plus one commit — no login, no CSRF, no attempt check.
``GET /exam100/<attempt_id>``
    one SELECT of the attempt's saved answers and a Jinja render of 100
    questions × 4 radio buttons with those answers checked (about 40 KB).
``GET /list50``
    one SELECT of 50 rows (of 1,000) and a Jinja render of them as a table
    (about 9 KB): the baseline of the read pages (lesson, verification page).

It uses the product's database (its own table, ``bench_proxy_answers``) with
the product's SQLite settings (WAL, ``synchronous=NORMAL``, busy timeout:
`lms.config.configure_sqlite`), so that the ratio product ÷ proxy measures
what the product adds, not a different durability level.
"""

from __future__ import annotations

import os
from datetime import UTC, date, datetime

import sqlalchemy as sa
from flask import Flask, abort, jsonify, request
from sqlalchemy.orm import Session

metadata = sa.MetaData()
answers = sa.Table(
    "bench_proxy_answers", metadata,
    sa.Column("attempt_id", sa.Integer, primary_key=True),
    sa.Column("slot", sa.Integer, primary_key=True),
    sa.Column("sequence", sa.BigInteger, nullable=False),
    sa.Column("response", sa.JSON, nullable=False),
    sa.Column("saved_at", sa.DateTime, nullable=False),
)

#: 100 questions of the length and shape the product's bench exam has
QUESTIONS = [
    {"slot": n, "number": n + 1, "points": "1",
     "stem": f"第{n + 1}题：依照《中华人民共和国工会法》，关于基层工会委员会的下列说法，正确的是？",
     "choices": [(key, f"选项{key}：第{n + 1}种说法")
                 for key in "abcd"]}
    for n in range(100)]

PAGE = """<!doctype html>
<html lang="zh-CN"><head><meta charset="utf-8"><title>考试</title>
<link rel="stylesheet" href="/static/bootstrap.min.css"></head>
<body><main class="container">
<h1 class="h6">工会法考试</h1>
<form method="post" action="/submit/{{ attempt_id }}">
{% for q in questions %}
<fieldset class="exam-item card card-body mb-3" id="item-{{ q.slot }}" data-slot="{{ q.slot }}">
  <legend class="h6 mb-2">第 {{ q.number }} 题
    <span class="small">· {{ q.points }} 分</span></legend>
  <div class="quiz-stem"><p>{{ q.stem }}</p></div>
  {% set chosen = saved.get(q.slot, {}).get("s" ~ q.slot, []) %}
  {% for key, text in q.choices %}
  <div class="form-check">
    <input class="form-check-input" type="radio" name="s{{ q.slot }}" id="s{{ q.slot }}-{{ key }}"
           value="{{ key }}"{% if key in chosen %} checked{% endif %}>
    <label class="form-check-label" for="s{{ q.slot }}-{{ key }}">{{ text }}</label>
  </div>
  {% endfor %}
</fieldset>
{% endfor %}
<button class="btn btn-primary" type="submit">交卷</button>
</form></main>
<script type="application/json" id="exam-answers">{{ saved|tojson }}</script>
</body></html>"""


rows = sa.Table(
    "bench_proxy_rows", metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("serial", sa.String(40), nullable=False),
    sa.Column("holder", sa.String(100), nullable=False),
    sa.Column("title", sa.String(200), nullable=False),
    sa.Column("status", sa.String(32), nullable=False),
    sa.Column("issued_on", sa.Date, nullable=False),
)

LIST_PAGE = """<!doctype html>
<html lang="zh-CN"><head><meta charset="utf-8"><title>证书</title>
<link rel="stylesheet" href="/static/bootstrap.min.css"></head>
<body><main class="container">
<h1 class="h4">证书列表</h1>
<table class="table table-sm">
<thead><tr><th>编号</th><th>持证人</th><th>资格</th><th>状态</th><th>颁发日期</th></tr></thead>
<tbody>
{% for r in rows %}
<tr><td><a href="/verify/{{ r.serial }}">{{ r.serial }}</a></td><td>{{ r.holder }}</td>
<td>{{ r.title }}</td><td>{{ r.status }}</td><td>{{ r.issued_on.isoformat() }}</td></tr>
{% endfor %}
</tbody></table></main></body></html>"""


def engine_for(url: str) -> sa.Engine:
    if url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url.removeprefix("postgresql://")
    engine = sa.create_engine(url)
    if engine.dialect.name == "sqlite":
        from lms.config import configure_sqlite

        configure_sqlite(engine)
    return engine


def create_schema(url: str) -> None:
    """Create (or empty) the proxy's table; the benchmark does this before starting servers."""
    engine = engine_for(url)
    metadata.drop_all(engine)
    metadata.create_all(engine)
    with engine.begin() as conn:
        conn.execute(sa.insert(rows), [
            {"id": n, "serial": f"7KQ2-M9X4-TA0B-{n:04d}-8F3C-QW2", "holder": f"持证人{n}",
             "title": "工会干部职业资格（中级）", "status": "有效",
             "issued_on": date(2026, 1, 1)} for n in range(1, 1001)])
    engine.dispose()


def create_app(url: str) -> Flask:
    app = Flask(__name__)
    engine = engine_for(url)
    if engine.dialect.name == "postgresql":
        from sqlalchemy.dialects.postgresql import insert
    else:
        from sqlalchemy.dialects.sqlite import insert
    # parsed once, as Flask caches a template file
    page = app.jinja_env.from_string(PAGE)
    list_page = app.jinja_env.from_string(LIST_PAGE)

    @app.post("/autosave/<int:attempt_id>")
    def autosave(attempt_id: int):
        body = request.get_json(silent=True)
        saves = body.get("saves") if isinstance(body, dict) else None
        if not isinstance(saves, list) or not saves:
            abort(400)
        now = datetime.now(UTC).replace(tzinfo=None)
        statement = insert(answers).values([
            {"attempt_id": attempt_id, "slot": s["slot"], "sequence": s["seq"],
             "response": s["response"], "saved_at": now} for s in saves])
        statement = statement.on_conflict_do_update(
            index_elements=[answers.c.attempt_id, answers.c.slot],
            set_={"sequence": statement.excluded.sequence,
                  "response": statement.excluded.response,
                  "saved_at": statement.excluded.saved_at},
            where=answers.c.sequence < statement.excluded.sequence)
        with Session(engine) as session:
            session.execute(statement)
            session.commit()
        return jsonify(acked=[{"slot": s["slot"], "seq": s["seq"]} for s in saves])

    @app.get("/exam100/<int:attempt_id>")
    def exam100(attempt_id: int):
        with Session(engine) as session:
            rows = session.execute(sa.select(answers.c.slot, answers.c.response)
                                   .where(answers.c.attempt_id == attempt_id)).all()
        saved = {slot: response for slot, response in rows}
        return page.render(attempt_id=attempt_id, questions=QUESTIONS, saved=saved)

    @app.get("/list50")
    def list50():
        with Session(engine) as session:
            found = session.execute(sa.select(rows).order_by(rows.c.id.desc()).limit(50)).all()
        return list_page.render(rows=found)

    @app.get("/plain")
    def plain():
        return "ok"

    return app


if os.environ.get("BENCH_DATABASE_URL"):
    app = create_app(os.environ["BENCH_DATABASE_URL"])
