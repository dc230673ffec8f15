"""Finding people by part of their name or the start of their address, through the name
index (`lms.accounts.name_search`), which follows every change of a name."""

from __future__ import annotations

import sqlalchemy as sa
from flask_migrate import downgrade, upgrade

from lms.accounts.models import NameGram, User
from lms.accounts.name_search import name_contains, name_or_email
from lms.domain.identity import name_grams, search_grams
from lms.extensions import db
from tests.factories import make_user
from tests.services.test_migrations import empty_database, migration_app  # noqa: F401


def found(condition) -> set[str]:
    return set(db.session.scalars(sa.select(User.real_name).where(condition)))


def test_grams_are_characters_and_pairs_and_a_search_needs_the_terms_pairs():
    assert name_grams("王小明") == {"王", "小", "明", "王小", "小明"}
    assert name_grams("Ｚｈａｎｇ  Wei") == {*"zhangwei", "zh", "ha", "an", "ng", "we", "ei"}
    assert search_grams("小明") == {"小明"} and search_grams("王小明") == {"王小", "小明"}
    assert search_grams("明") == {"明"} and search_grams("  ") == set()
    assert search_grams("g w") == {"g", "w"}  # no pair without a space: its characters


def test_any_part_of_a_name_finds_it(app):
    for name in ("王小明", "王小红", "李明", "欧阳小明", "Zhang Wei"):
        make_user(name=name)
    assert found(name_contains("王小")) == {"王小明", "王小红"}
    assert found(name_contains("小明")) == {"王小明", "欧阳小明"}
    assert found(name_contains("明")) == {"王小明", "李明", "欧阳小明"}
    assert found(name_contains("欧阳小明")) == {"欧阳小明"}
    assert found(name_contains("ZHANG w")) == {"Zhang Wei"}
    assert found(name_contains("ｚｈａｎｇ")) == {"Zhang Wei"}  # full width folded
    # every pair present, but not in this order: the name itself is checked
    assert found(name_contains("明小")) == set()
    assert found(name_contains("张")) == set()


def test_wildcards_in_a_term_are_plain_characters(app):
    make_user(name="王_明")
    make_user(name="王小明")
    assert found(name_contains("王_")) == {"王_明"}
    assert found(name_contains("%")) == set()


def test_addresses_match_from_their_start(app):
    make_user(name="甲", email="zhangwei@union.cn")
    make_user(name="乙", email="lizhang@union.cn")
    assert found(name_or_email("Zhang")) == {"甲"}
    assert found(name_or_email("zhangwei@union.cn")) == {"甲"}
    assert found(name_or_email("乙")) == {"乙"} and found(name_or_email("li")) == {"乙"}
    assert found(name_or_email("zhangx")) == set()
    assert found(name_or_email(" ")) == {"甲", "乙"}  # no term: no filter


def test_the_index_follows_a_renamed_erased_or_deleted_user(app):
    user = make_user(name="王小明")
    user.real_name = "赵小刚"
    db.session.commit()
    assert found(name_contains("王小")) == set() and found(name_contains("小刚")) == {"赵小刚"}
    user.email = "other@union.cn"  # a change that is not the name keeps the index
    db.session.commit()
    assert found(name_contains("赵")) == {"赵小刚"}
    db.session.delete(user)
    db.session.commit()
    assert db.session.scalar(sa.select(sa.func.count()).select_from(NameGram)) == 0


def test_the_migration_indexes_the_users_already_there(migration_app):  # noqa: F811
    upgrade(revision="0017")
    db.session.execute(sa.text(
        "INSERT INTO users (email, real_name, password_hash, active, session_generation,"
        " created_at, updated_at) VALUES ('a@b.cn', '王小明', 'x', true, 0,"
        " CURRENT_TIMESTAMP, CURRENT_TIMESTAMP)"))
    db.session.commit()
    upgrade(revision="0018")
    assert found(name_contains("小明")) == {"王小明"}
    db.session.rollback()  # the read's transaction would hold the table against the drop
    downgrade(revision="0017")
    assert "user_name_grams" not in sa.inspect(db.engine).get_table_names()
