"""a course version's summary and cover in columns of their own, for the catalogue

The catalogue's cards read them out of each version's content JSON (every lesson's
HTML): on PostgreSQL that parsed the whole document of every course on each view (12 ms
for the four shipped courses; the catalogue reached 0.10 of a bare 50-row page,
bench/pages.py). Filled here from the versions already there.

Revision ID: 0020
Revises: 0019
Create Date: 2026-11-25 01:40:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0020'
down_revision = '0019'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('course_versions', schema=None) as batch_op:
        batch_op.add_column(sa.Column('summary', sa.Text(), nullable=True))
        batch_op.add_column(sa.Column('cover_sha256', sa.String(length=64), nullable=True))
    versions = sa.table('course_versions', sa.column('id', sa.Integer),
                        sa.column('content', sa.JSON), sa.column('summary', sa.Text),
                        sa.column('cover_sha256', sa.String))
    connection = op.get_bind()
    for version_id, content in connection.execute(sa.select(versions.c.id, versions.c.content)):
        connection.execute(versions.update().where(versions.c.id == version_id).values(
            summary=(content or {}).get('summary') or '',
            cover_sha256=(content or {}).get('cover_sha256')))
    with op.batch_alter_table('course_versions', schema=None) as batch_op:
        batch_op.alter_column('summary', existing_type=sa.Text(), nullable=False)


def downgrade():
    with op.batch_alter_table('course_versions', schema=None) as batch_op:
        batch_op.drop_column('cover_sha256')
        batch_op.drop_column('summary')
