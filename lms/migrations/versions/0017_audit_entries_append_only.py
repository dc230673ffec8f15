"""audit entries append-only in the database: triggers refuse deleting an entry or changing
who did what to which object and when (RELIABILITY.md I6); the recorded values stay
writable for the PIPL erasure's redaction. A row in audit_maintenance lets a maintenance
transaction delete entries (emptying a test database).

Revision ID: 0017
Revises: 0016
Create Date: 2026-11-24 20:00:00

"""
from alembic import op
import sqlalchemy as sa


revision = '0017'
down_revision = '0016'
branch_labels = None
depends_on = None

MESSAGE = "audit entries are append-only"
#: the columns that say who did what to which object and when
FACTS = ("id", "created_at", "actor_id", "action", "object_type", "object_id")


def upgrade():
    op.create_table('audit_maintenance', sa.Column('id', sa.Integer(), nullable=False),
                    sa.PrimaryKeyConstraint('id', name=op.f('pk_audit_maintenance')))
    changed = " OR ".join(f"NEW.{c} IS DISTINCT FROM OLD.{c}" for c in FACTS)
    if op.get_bind().dialect.name == "postgresql":
        op.execute(f"""
            CREATE OR REPLACE FUNCTION audit_entries_append_only() RETURNS trigger AS $$
            BEGIN
              IF TG_OP = 'DELETE' THEN
                IF EXISTS (SELECT 1 FROM audit_maintenance) THEN RETURN OLD; END IF;
                RAISE EXCEPTION '{MESSAGE}';
              END IF;
              IF {changed} THEN RAISE EXCEPTION '{MESSAGE}'; END IF;
              RETURN NEW;
            END $$ LANGUAGE plpgsql""")
        op.execute("CREATE TRIGGER audit_entries_append_only BEFORE UPDATE OR DELETE "
                   "ON audit_entries FOR EACH ROW EXECUTE FUNCTION audit_entries_append_only()")
    else:
        changed = changed.replace("IS DISTINCT FROM", "IS NOT")
        op.execute(f"""
            CREATE TRIGGER audit_entries_no_delete BEFORE DELETE ON audit_entries
            WHEN NOT EXISTS (SELECT 1 FROM audit_maintenance)
            BEGIN SELECT RAISE(ABORT, '{MESSAGE}'); END""")
        op.execute(f"""
            CREATE TRIGGER audit_entries_keep_facts BEFORE UPDATE ON audit_entries
            WHEN {changed}
            BEGIN SELECT RAISE(ABORT, '{MESSAGE}'); END""")


def downgrade():
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP TRIGGER audit_entries_append_only ON audit_entries")
        op.execute("DROP FUNCTION audit_entries_append_only()")
    else:
        op.execute("DROP TRIGGER audit_entries_no_delete")
        op.execute("DROP TRIGGER audit_entries_keep_facts")
    op.drop_table('audit_maintenance')
