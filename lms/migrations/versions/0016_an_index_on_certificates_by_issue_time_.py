"""an index on certificates by issue time for the officers' list

The officers' certificate list, newest first, at 50,000 certificates: 270 ms (all of the
qualification's certificates sorted) against 2 ms walking this index (bench/data_scale.py).

Revision ID: 0016
Revises: 0015
Create Date: 2026-11-24 18:38:56.904853

"""
from alembic import op
import sqlalchemy as sa

import lms.db_base


# revision identifiers, used by Alembic.
revision = '0016'
down_revision = '0015'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('certificates', schema=None) as batch_op:
        batch_op.create_index('ix_certificates_issued', ['issued_at', 'id'], unique=False)


def downgrade():
    with op.batch_alter_table('certificates', schema=None) as batch_op:
        batch_op.drop_index('ix_certificates_issued')
