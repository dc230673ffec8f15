"""exam answers: 64-bit sequence numbers (a plain form hand-in uses 2**52)

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-24 09:00:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0006'
down_revision = '0005'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('exam_answers', schema=None) as batch_op:
        batch_op.alter_column('sequence', existing_type=sa.Integer(), type_=sa.BigInteger(),
                              existing_nullable=False)


def downgrade():
    with op.batch_alter_table('exam_answers', schema=None) as batch_op:
        batch_op.alter_column('sequence', existing_type=sa.BigInteger(), type_=sa.Integer(),
                              existing_nullable=False)
