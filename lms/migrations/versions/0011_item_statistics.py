"""item statistics per question and exam (the bank browser's column), and an index on
exam attempts by exam for the reports

Revision ID: 0011
Revises: 0010
Create Date: 2026-11-25 10:00:00.000000

"""
from alembic import op
import sqlalchemy as sa

import lms.db_base


# revision identifiers, used by Alembic.
revision = '0011'
down_revision = '0010'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('item_statistics',
    sa.Column('question_id', sa.Integer(), autoincrement=False, nullable=False),
    sa.Column('exam_id', sa.Integer(), autoincrement=False, nullable=False),
    sa.Column('responses', sa.Integer(), nullable=False),
    sa.Column('attempts', sa.Integer(), nullable=False),
    sa.Column('facility', sa.Float(), nullable=True),
    sa.Column('discrimination', sa.Float(), nullable=True),
    sa.Column('item_rest_r', sa.Float(), nullable=True),
    sa.Column('flags', sa.JSON(), nullable=False),
    sa.Column('used_until', lms.db_base.UTCDateTime(timezone=True), nullable=True),
    sa.Column('computed_at', lms.db_base.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['exam_id'], ['exams.id'], name=op.f('fk_item_statistics_exam_id_exams'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['question_id'], ['questions.id'], name=op.f('fk_item_statistics_question_id_questions'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('question_id', 'exam_id', name=op.f('pk_item_statistics'))
    )
    with op.batch_alter_table('item_statistics', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_item_statistics_exam_id'), ['exam_id'], unique=False)

    with op.batch_alter_table('exam_attempts', schema=None) as batch_op:
        batch_op.create_index('ix_exam_attempts_exam_state', ['exam_id', 'state'], unique=False)


def downgrade():
    with op.batch_alter_table('exam_attempts', schema=None) as batch_op:
        batch_op.drop_index('ix_exam_attempts_exam_state')

    with op.batch_alter_table('item_statistics', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_item_statistics_exam_id'))

    op.drop_table('item_statistics')
