"""A fresh, empty database for a benchmark run: a new SQLite file, or the PostgreSQL
database of ``url`` dropped and created again."""

from __future__ import annotations

import tempfile


def fresh(kind: str, url: str, prefix: str) -> str:
    """The URL of an empty database of ``kind`` (``sqlite`` or ``postgresql``)."""
    if kind != "postgresql":
        return f"sqlite:///{tempfile.mkdtemp(prefix=prefix)}/bench.sqlite3"
    import psycopg

    server, name = url.rsplit("/", 1)
    with psycopg.connect(server + "/postgres", autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}"')
        conn.execute(f'CREATE DATABASE "{name}"')
    return url
