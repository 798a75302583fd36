"""Safety guard audit trail, quarantined serials, asset health flags and site regions.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-24
"""

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "quarantined_serial",
        sa.Column("serial", sa.String(length=64), nullable=False),
        sa.Column("reason", sa.String(length=200), nullable=False),
        sa.Column("component_id", sa.Integer(), nullable=True),
        sa.Column("quarantined_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["component_id"], ["component.id"], name=op.f("fk_quarantined_serial_component_id_component")
        ),
        sa.PrimaryKeyConstraint("serial", name=op.f("pk_quarantined_serial")),
    )
    op.create_table(
        "safety_block",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("case_id", sa.Integer(), nullable=True),
        sa.Column("asset_id", sa.Integer(), nullable=True),
        sa.Column("organization_id", sa.Integer(), nullable=True),
        sa.Column("actor_id", sa.Integer(), nullable=True),
        sa.Column("channel", sa.String(length=16), nullable=False),
        sa.Column("action", sa.String(length=32), nullable=False),
        sa.Column("rule_code", sa.String(length=64), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("safe_alternative", sa.Text(), nullable=False),
        sa.Column("component_serial", sa.String(length=64), nullable=True),
        sa.Column("attempted", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["actor_id"], ["user.id"], name=op.f("fk_safety_block_actor_id_user")),
        sa.ForeignKeyConstraint(["asset_id"], ["asset.id"], name=op.f("fk_safety_block_asset_id_asset")),
        sa.ForeignKeyConstraint(["case_id"], ["support_case.id"], name=op.f("fk_safety_block_case_id_support_case")),
        sa.ForeignKeyConstraint(
            ["organization_id"], ["organization.id"], name=op.f("fk_safety_block_organization_id_organization")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_safety_block")),
    )
    with op.batch_alter_table("safety_block", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_safety_block_case_id"), ["case_id"], unique=False)
        batch_op.create_index("ix_safety_block_created", ["created_at"], unique=False)
        batch_op.create_index(batch_op.f("ix_safety_block_organization_id"), ["organization_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_safety_block_rule_code"), ["rule_code"], unique=False)

    with op.batch_alter_table("asset", schema=None) as batch_op:
        batch_op.add_column(sa.Column("rebuilding", sa.Boolean(), nullable=False, server_default=sa.false()))
        batch_op.add_column(sa.Column("degraded", sa.Boolean(), nullable=False, server_default=sa.false()))

    with op.batch_alter_table("site", schema=None) as batch_op:
        batch_op.add_column(sa.Column("region", sa.String(length=64), nullable=False, server_default=""))


def downgrade() -> None:
    with op.batch_alter_table("site", schema=None) as batch_op:
        batch_op.drop_column("region")

    with op.batch_alter_table("asset", schema=None) as batch_op:
        batch_op.drop_column("degraded")
        batch_op.drop_column("rebuilding")

    with op.batch_alter_table("safety_block", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_safety_block_rule_code"))
        batch_op.drop_index(batch_op.f("ix_safety_block_organization_id"))
        batch_op.drop_index("ix_safety_block_created")
        batch_op.drop_index(batch_op.f("ix_safety_block_case_id"))

    op.drop_table("safety_block")
    op.drop_table("quarantined_serial")
