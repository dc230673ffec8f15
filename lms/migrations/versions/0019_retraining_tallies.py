"""the retraining dashboard's tallies: plans counted per qualification, holder's organisation, standing and hours bin

The officers' retraining dashboard counted every certificate plan in scope on each view
(standings, compliance by organisation, hours distribution): 10.6× slower on SQLite and
7.1× on PostgreSQL at 100,000 holders than at 1,000 (bench/data_scale.py). The daily
tick now stores these counts (lms.retraining.tallies), a few rows per qualification and
organisation whatever the holders; filled here from the plans already there.

Revision ID: 0019
Revises: 0018
Create Date: 2026-11-25 10:20:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0019'
down_revision = '0018'
branch_labels = None
depends_on = None

# lms.retraining.tallies.counted_plans as of this revision
FILL = """
INSERT INTO retraining_tallies (qualification_id, organisation_id, standing, hours_bin, plans)
SELECT c.qualification_id, u.organisation_id, p.standing,
       CASE WHEN p.hours_required <= 0 THEN NULL
            WHEN p.hours_earned >= p.hours_required THEN 4
            WHEN p.hours_earned * 4 >= p.hours_required * 3 THEN 3
            WHEN p.hours_earned * 2 >= p.hours_required THEN 2
            WHEN p.hours_earned * 4 >= p.hours_required THEN 1
            ELSE 0 END,
       count(*)
FROM certificate_plans p
JOIN certificates c ON c.id = p.certificate_id
JOIN users u ON u.id = c.holder_id
WHERE c.status != 'revoked' AND p.standing != 'expired'
GROUP BY 1, 2, 3, 4
"""


def upgrade():
    op.create_table('retraining_tallies',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('qualification_id', sa.Integer(), nullable=False),
    sa.Column('organisation_id', sa.Integer(), nullable=True),
    sa.Column('standing', sa.Enum('good', 'due_soon', 'overdue', 'in_grace', 'suspended', 'expired', name='standing', native_enum=False, length=32), nullable=False),
    sa.Column('hours_bin', sa.SmallInteger(), nullable=True),
    sa.Column('plans', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['organisation_id'], ['organisations.id'], name=op.f('fk_retraining_tallies_organisation_id_organisations'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['qualification_id'], ['qualifications.id'], name=op.f('fk_retraining_tallies_qualification_id_qualifications'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_retraining_tallies'))
    )
    with op.batch_alter_table('retraining_tallies', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_retraining_tallies_qualification_id'), ['qualification_id'], unique=False)
    op.execute(FILL)


def downgrade():
    with op.batch_alter_table('retraining_tallies', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_retraining_tallies_qualification_id'))
    op.drop_table('retraining_tallies')
