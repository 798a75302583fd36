"""Set-up editing: version columns (optimistic locking) on organisations, sites, parts,
products, plans and contracts; a plan's "included / not included" text; the administration audit trail.

Revision ID: 0019
Revises: 0018
Create Date: 2026-12-02
"""

import sqlalchemy as sa
from alembic import op

revision = "0019"
down_revision = "0018"
branch_labels = None
depends_on = None

VERSIONED = ("organization", "site", "part", "product", "support_plan", "contract")


def upgrade() -> None:
    for table in VERSIONED:
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.add_column(sa.Column("version", sa.Integer(), server_default="1", nullable=False))
    with op.batch_alter_table("support_plan", schema=None) as batch_op:
        batch_op.add_column(sa.Column("included", sa.Text(), server_default="", nullable=False))
        batch_op.add_column(sa.Column("not_included", sa.Text(), server_default="", nullable=False))
    op.create_table(  # the one administration audit trail (set-up, calendars, ladders, imports)
        "audit_entry",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("actor_id", sa.Integer(), nullable=True),
        sa.Column("action", sa.String(length=64), nullable=False),
        sa.Column("object_type", sa.String(length=32), nullable=False),
        sa.Column("object_id", sa.Integer(), nullable=True),
        sa.Column("channel", sa.String(length=8), nullable=False),
        sa.Column("summary", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(["actor_id"], ["user.id"], name=op.f("fk_audit_entry_actor_id_user")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_audit_entry")),
    )
    op.create_index("ix_audit_entry_object", "audit_entry", ["object_type", "object_id"], unique=False)


def downgrade() -> None:
    op.drop_index("ix_audit_entry_object", table_name="audit_entry")
    op.drop_table("audit_entry")
    with op.batch_alter_table("support_plan", schema=None) as batch_op:
        batch_op.drop_column("not_included")
        batch_op.drop_column("included")
    for table in reversed(VERSIONED):
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.drop_column("version")
