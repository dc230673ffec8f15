"""Finding people by part of their name, or by the start of their e-mail address, in time
that does not grow with the number of people.

``LIKE '%…%'`` reads every user: 60–170 ms a search at 100,000 candidates against 8 at
1,000 (bench/data_scale.py). Chinese names are two to four characters, below what
trigram indexes (pg_trgm, FTS5) can use, so the platform keeps its own index of each
name's characters and pairs of characters (`NameGram`, written with the name here) and a
search reads the users holding all of the term's pairs, then checks their names.
"""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy import event

from lms.accounts.models import NameGram, User
from lms.domain.identity import name_grams, name_key, normalise_email, search_grams


def name_contains(term: str) -> sa.ColumnElement[bool]:
    """A condition on `User`: the name contains ``term`` (case and width folded)."""
    grams = sorted(search_grams(term))
    if not grams:
        return sa.true()
    holders = sa.select(NameGram.user_id).where(NameGram.gram.in_(grams))
    if len(grams) > 1:
        holders = holders.group_by(NameGram.user_id).having(sa.func.count() == len(grams))
    return sa.and_(User.id.in_(holders),
                   sa.func.lower(User.real_name).contains(name_key(term), autoescape=True))


def email_starts(term: str) -> sa.ColumnElement[bool]:
    """A condition on `User`: the address starts with ``term``, read from the address
    index as a range (``LIKE 'x%'`` uses an index on neither database as configured)."""
    prefix = normalise_email(term)
    if not prefix:
        return sa.true()
    upper = prefix[:-1] + chr(ord(prefix[-1]) + 1)
    return sa.and_(User.email >= prefix, User.email < upper,
                   User.email.startswith(prefix, autoescape=True))


def name_or_email(term: str) -> sa.ColumnElement[bool]:
    return sa.or_(name_contains(term), email_starts(term))


def gram_rows(user_id: int, name: str) -> list[dict]:
    return [{"gram": gram, "user_id": user_id} for gram in sorted(name_grams(name))]


@event.listens_for(User, "after_insert")
def _index_new_name(_mapper, connection, user: User) -> None:
    _write(connection, user.id, user.real_name)


@event.listens_for(User, "after_update")
def _index_changed_name(_mapper, connection, user: User) -> None:
    if sa.inspect(user).attrs.real_name.history.has_changes():
        connection.execute(sa.delete(NameGram).where(NameGram.user_id == user.id))
        _write(connection, user.id, user.real_name)


def _write(connection, user_id: int, name: str) -> None:
    rows = gram_rows(user_id, name)
    if rows:
        connection.execute(sa.insert(NameGram), rows)
