"""How fast GIFT import and export run, against a baseline measured in the same run.

    .venv/bin/python bench/gift_import.py [--items 10000] [--repeat 3]

Builds a GIFT file of mixed question kinds in Chinese (single and multiple
choice, true/false, fill-in, numeric, matching, essay, description, with
titles, metadata comments, feedback and escapes), then reports items per
second for `parse` and `export`. The baseline is the least any GIFT reader
must do: ``str.splitlines()`` plus one regular-expression pass over the
decoded text; the ratio says how many times slower than that the real thing
is. Nothing is asserted: numbers depend on the machine. The rows (database
``none``: no database is involved) go to bench/results/latest.json.

With ``--database sqlite`` or ``postgresql`` it also imports ``--db-items``
questions of the same file into a new bank of a fresh database the way
``flask lms questions import`` does (`transfer.parse_file`, `transfer.apply`:
the checks, a question, its first version and tags per item, the audit entry;
one commit), against the bare baseline of writing the same number of rows — each
item's stem and its spec as JSON — with one Core ``executemany`` and a commit
into a table of its own in the same database. Best of ``--repeat``, a new bank
each time.
"""

from __future__ import annotations

import argparse
import re
import sys
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT), str(ROOT / "bench")]

import results  # noqa: E402

from lms.questions.formats import gift  # noqa: E402

TEMPLATES = [
    "// [id:Q{n}]\n// [tag:工会法] [tag:第{n}章]\n"
    "::单选{n}::基层工会委员会每届任期是多少年？（第{n}题）{{\n"
    "\t~两年或三年#太短了。\n\t=三年或五年#正确，见工会法第十五条。\n\t~五年\n\t~四年\n"
    "\t####任期由《工会法》规定。\n}}",
    "::多选{n}::下列哪些属于工会的基本职责？{{\n\t~%50%维护职工合法权益\n"
    "\t~%50%代表职工签订集体合同\n\t~%-100%决定企业经营方针#这是企业的职权。\n}}",
    "::判断{n}::工会经费可以用于职工集体福利。{{TRUE#错了。#对。####见第{n}条。}}",
    "::填空{n}::职工代表大会是企业实行{{=民主管理 =民主 管理}}的基本形式。",
    "// [points:2]\n::数值{n}::月工资 {n} 元的 1.5 倍是多少元？{{#\n\t={n}.5:0.5#正确\n"
    "\t=%50%{n}:10#接近\n}}",
    "::配对{n}::将法律与施行年份配对。{{\n\t=工会法 -> 1992\n\t=劳动法 -> 1994\n"
    "\t=劳动合同法 -> 2008\n\t= -> 2010\n}}",
    "::论述{n}::[markdown]请论述**工会**在劳动争议调解中的作用\\: 第{n}题。"
    "{{####要点\\: 法律依据。}}",
    "::说明{n}::以下各题考查《工会法》的基本知识，等号写作 \\= ，井号写作 \\#。",
]


def build(count: int) -> bytes:
    """A GIFT file of ``count`` questions, the kinds in turn, with a category every 500."""
    blocks = []
    for n in range(count):
        if n % 500 == 0:
            blocks.append(f"$CATEGORY: $course$/top/工会法/第{n // 500 + 1}部分")
        blocks.append(TEMPLATES[n % len(TEMPLATES)].format(n=n))
    return ("\n\n".join(blocks) + "\n").encode("utf-8")


def best(run: Callable[[], object], repeat: int) -> float:
    """The fastest of ``repeat`` runs, in seconds."""
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        run()
        times.append(time.perf_counter() - start)
    return min(times)


def import_into_database(args) -> list[dict]:
    """Seconds to import ``--db-items`` questions into a new bank, and the bare write."""
    import databases
    import sqlalchemy as sa
    from data_scale import settings
    from flask_migrate import upgrade

    from lms import create_app
    from lms.extensions import db
    from lms.questions import services, transfer

    url = databases.fresh(args.database, args.url, "bench-import-")
    data = build(args.db_items)
    bare = sa.Table("bench_proxy_questions", sa.MetaData(),
                    sa.Column("id", sa.Integer, primary_key=True),
                    sa.Column("bank", sa.String(64), nullable=False),
                    sa.Column("stem", sa.Text, nullable=False),
                    sa.Column("spec", sa.JSON, nullable=False))
    app = create_app(settings(url))
    product, baseline = [], []
    with app.app_context():
        upgrade()
        bare.create(db.engine)
        for n in range(args.repeat):
            started = time.perf_counter()
            parsed = transfer.parse_file(data, filename="bench.gift", fmt="gift")
            bank = services.create_bank(code=f"bench-import-{n}", title="基准题库",
                                        domain="union_law")
            report = transfer.apply(bank, parsed, actor=None)
            db.session.commit()
            product.append(time.perf_counter() - started)
            assert report.imported == args.db_items, report.problems[:3]

            started = time.perf_counter()
            items = gift.parse(data, filename="bench.gift").items
            db.session.execute(sa.insert(bare), [
                {"bank": f"bench-{n}", "stem": getattr(i.spec, "stem", ""),
                 "spec": i.spec.to_dict()} for i in items])
            db.session.commit()
            baseline.append(time.perf_counter() - started)
        db.session.remove()
        db.engine.dispose()
    label = f"{args.db_items:,} questions"
    print(f"{args.database}: import {min(product):.2f} s, bare write {min(baseline):.2f} s")
    return [results.row(f"question import into a bank, {label}", min(product), min(baseline),
                        "s", args.database)]


def main() -> None:
    options = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    options.add_argument("--items", type=int, default=10_000)
    options.add_argument("--repeat", type=int, default=3)
    options.add_argument("--no-write", action="store_true", help="print only")
    options.add_argument("--database", choices=("none", "sqlite", "postgresql"), default="none",
                         help="also import into a fresh database of this kind")
    options.add_argument("--url", default="postgresql://postgres@127.0.0.1:5432/bench_import")
    options.add_argument("--db-items", type=int, default=2_000)
    args = options.parse_args()

    data = build(args.items)
    result = gift.parse(data, filename="bench.gift")
    assert len(result.items) == args.items, (len(result.items), result.problems[:3])
    control = re.compile(r"\\.|[{}=~#:]")

    def baseline() -> int:
        text = data.decode("utf-8")
        return len(text.splitlines()) + sum(1 for _ in control.finditer(text))

    base = best(baseline, args.repeat)
    parse = best(lambda: gift.parse(data, filename="bench.gift"), args.repeat)
    export = best(lambda: gift.export(result.items), args.repeat)
    print(f"{args.items} questions, {len(data) / 2**20:.2f} MB of GIFT")
    print(f"baseline (decode + splitlines + regex pass): {base * 1000:8.1f} ms  "
          f"{args.items / base:12,.0f} items/s")
    print(f"parse:                                       {parse * 1000:8.1f} ms  "
          f"{args.items / parse:12,.0f} items/s  {parse / base:6.1f}× baseline")
    print(f"export:                                      {export * 1000:8.1f} ms  "
          f"{args.items / export:12,.0f} items/s  {export / base:6.1f}× baseline")
    label = f"{args.items:,} questions"
    rows = [results.row(f"GIFT import (parse), {label}", parse, base, "s", "none"),
            results.row(f"GIFT export, {label}", export, base, "s", "none")]
    if args.database != "none":
        rows += import_into_database(args)
    print(results.table(rows))
    if not args.no_write:
        results.merge(rows)


if __name__ == "__main__":
    main()
