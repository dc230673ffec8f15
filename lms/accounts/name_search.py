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
from sqlalchemy.orm import aliased

from lms.accounts.models import NameGram, User
from lms.domain.identity import name_grams, name_key, normalise_email, search_grams


def name_contains(term: str, user_id: sa.ColumnElement = User.id) -> sa.ColumnElement[bool]:
    """A condition: the user named by ``user_id`` has a name containing ``term`` (case
    and width folded).

    :param user_id: the column the query's rows name their user by (say
        ``Certificate.holder_id``): PostgreSQL then starts from the few people the index
        finds rather than from every row in scope (120 ms against 2 at 100,000 people).
    """
    named = _named(term)
    return sa.true() if named is None else user_id.in_(named)


def name_or_email(term: str, user_id: sa.ColumnElement = User.id) -> sa.ColumnElement[bool]:
    """A condition: the user's name contains ``term`` or their address starts with it.
    One ``IN`` over the union of both lookups: an ``OR`` of the two conditions made
    PostgreSQL read every user."""
    named, addressed = _named(term), _addressed(term)
    if named is None or addressed is None:
        return sa.true()
    return user_id.in_(sa.union(named, addressed))


def _named(term: str) -> sa.Select | None:
    """The ids of the people whose name contains ``term`` (None: no term): those holding
    all of its grams, then their names checked (the grams may be in another order)."""
    grams = sorted(search_grams(term))
    if not grams:
        return None
    holders = sa.select(NameGram.user_id).where(NameGram.gram.in_(grams))
    if len(grams) > 1:
        holders = holders.group_by(NameGram.user_id).having(sa.func.count() == len(grams))
    person = aliased(User)  # not correlated with the users of the query it goes into
    return sa.select(person.id).where(
        person.id.in_(holders),
        sa.func.lower(person.real_name).contains(name_key(term), autoescape=True))


def _addressed(term: str) -> sa.Select | None:
    """The ids of the people whose address starts with ``term``, read from the address
    index as a range (``LIKE 'x%'`` uses an index on neither database as configured)."""
    prefix = normalise_email(term)
    if not prefix:
        return None
    upper = prefix[:-1] + chr(ord(prefix[-1]) + 1)
    person = aliased(User)
    return sa.select(person.id).where(person.email >= prefix, person.email < upper,
                                      person.email.startswith(prefix, autoescape=True))


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
