"""A component marked failed by mistake through an RMA can be corrected: the RMA keeps
the component's state before it marked it failed and whether it quarantined the serial,
and each correction is an audit row listed on the Safety blocks page.

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-02
"""

import sqlalchemy as sa
from alembic import op

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("rma", schema=None) as batch_op:
        batch_op.add_column(sa.Column("component_state_before", sa.String(length=16), nullable=True))
        batch_op.add_column(sa.Column("quarantine_added", sa.Boolean(), nullable=True))

    op.create_table(
        "component_correction",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("case_id", sa.Integer(), nullable=True),
        sa.Column("organization_id", sa.Integer(), nullable=True),
        sa.Column("component_id", sa.Integer(), nullable=False),
        sa.Column("actor_id", sa.Integer(), nullable=True),
        sa.Column("source", sa.String(length=32), nullable=False),
        sa.Column("component_serial", sa.String(length=64), nullable=False),
        sa.Column("slot", sa.String(length=32), nullable=False),
        sa.Column("part_number", sa.String(length=64), nullable=False),
        sa.Column("from_state", sa.String(length=16), nullable=False),
        sa.Column("restored_state", sa.String(length=16), nullable=False),
        sa.Column("cancelled_source", sa.Boolean(), nullable=False),
        sa.Column("quarantine_lifted", sa.Boolean(), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["actor_id"], ["user.id"], name=op.f("fk_component_correction_actor_id_user")),
        sa.ForeignKeyConstraint(
            ["case_id"], ["support_case.id"], name=op.f("fk_component_correction_case_id_support_case")
        ),
        sa.ForeignKeyConstraint(
            ["component_id"], ["component.id"], name=op.f("fk_component_correction_component_id_component")
        ),
        sa.ForeignKeyConstraint(
            ["organization_id"], ["organization.id"], name=op.f("fk_component_correction_organization_id_organization")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_component_correction")),
    )
    with op.batch_alter_table("component_correction", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_component_correction_case_id"), ["case_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_component_correction_component_id"), ["component_id"], unique=False)
        batch_op.create_index("ix_component_correction_created", ["created_at"], unique=False)
        batch_op.create_index(batch_op.f("ix_component_correction_organization_id"), ["organization_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_component_correction_source"), ["source"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("component_correction", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_component_correction_source"))
        batch_op.drop_index(batch_op.f("ix_component_correction_organization_id"))
        batch_op.drop_index("ix_component_correction_created")
        batch_op.drop_index(batch_op.f("ix_component_correction_component_id"))
        batch_op.drop_index(batch_op.f("ix_component_correction_case_id"))

    op.drop_table("component_correction")
    with op.batch_alter_table("rma", schema=None) as batch_op:
        batch_op.drop_column("quarantine_added")
        batch_op.drop_column("component_state_before")
