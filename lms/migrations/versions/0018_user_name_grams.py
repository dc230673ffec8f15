"""the name search's index: each character and pair of characters of each user's name

Searching people by part of their name read every user (``LIKE '%…%'``): 60–170 ms at
100,000 candidates against 8 ms at 1,000 (bench/data_scale.py). Chinese names are too
short for trigram indexes; this table holds their characters and pairs
(lms.accounts.name_search), filled here for the users already there.

Revision ID: 0018
Revises: 0017
Create Date: 2026-11-25 00:40:00

"""
from alembic import op
import sqlalchemy as sa

from lms.domain.identity import name_grams


# revision identifiers, used by Alembic.
revision = '0018'
down_revision = '0017'
branch_labels = None
depends_on = None

BATCH = 5000


def upgrade():
    grams = op.create_table(
        'user_name_grams',
        sa.Column('gram', sa.String(length=2), nullable=False),
        sa.Column('user_id', sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(['user_id'], ['users.id'],
                                name=op.f('fk_user_name_grams_user_id_users'), ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('gram', 'user_id', name=op.f('pk_user_name_grams')),
    )
    with op.batch_alter_table('user_name_grams', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_user_name_grams_user_id'), ['user_id'], unique=False)
    connection = op.get_bind()
    users = connection.execute(sa.text("SELECT id, real_name FROM users ORDER BY id"))
    rows = []
    for user_id, name in users:
        rows += [{"gram": gram, "user_id": user_id} for gram in sorted(name_grams(name))]
        if len(rows) >= BATCH:
            connection.execute(grams.insert(), rows)
            rows = []
    if rows:
        connection.execute(grams.insert(), rows)


def downgrade():
    with op.batch_alter_table('user_name_grams', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_user_name_grams_user_id'))
    op.drop_table('user_name_grams')
