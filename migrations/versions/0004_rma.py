"""RMAs: the authorisation, its shipments, field dispatches and failure analysis.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-24
"""

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "rma",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("number", sa.String(length=16), nullable=False),
        sa.Column("case_id", sa.Integer(), nullable=False),
        sa.Column("organization_id", sa.Integer(), nullable=False),
        sa.Column("asset_id", sa.Integer(), nullable=False),
        sa.Column("failed_component_id", sa.Integer(), nullable=False),
        sa.Column("replacement_part_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=24), nullable=False),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("disposition", sa.String(length=24), nullable=False),
        sa.Column("needs_approval", sa.Boolean(), nullable=False),
        sa.Column("approved_by_id", sa.Integer(), nullable=True),
        sa.Column("approved_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("approval_note", sa.Text(), nullable=False),
        sa.Column("region", sa.String(length=64), nullable=False),
        sa.Column("field_engineer_id", sa.Integer(), nullable=True),
        sa.Column("installed_component_id", sa.Integer(), nullable=True),
        sa.Column("installed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("return_due_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("return_reminded_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("return_reminders", sa.Integer(), nullable=False),
        sa.Column("retained_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("problem", sa.Text(), nullable=False),
        sa.Column("created_by_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("closed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.CheckConstraint(
            "disposition IN ('return', 'retained', 'certified_destruction')", name=op.f("ck_rma_disposition")
        ),
        sa.CheckConstraint(
            "kind IN ('advance_replacement', 'return_and_replace', 'onsite_dispatch')", name=op.f("ck_rma_kind")
        ),
        sa.CheckConstraint(
            "state IN ('requested', 'approved', 'shipped', 'delivered', 'dispatched', 'on_site', 'installed',"
            " 'return_pending', 'returned', 'analysed', 'retained', 'closed', 'cancelled')",
            name=op.f("ck_rma_state"),
        ),
        sa.ForeignKeyConstraint(["approved_by_id"], ["user.id"], name=op.f("fk_rma_approved_by_id_user")),
        sa.ForeignKeyConstraint(["asset_id"], ["asset.id"], name=op.f("fk_rma_asset_id_asset")),
        sa.ForeignKeyConstraint(["case_id"], ["support_case.id"], name=op.f("fk_rma_case_id_support_case")),
        sa.ForeignKeyConstraint(["created_by_id"], ["user.id"], name=op.f("fk_rma_created_by_id_user")),
        sa.ForeignKeyConstraint(
            ["failed_component_id"], ["component.id"], name=op.f("fk_rma_failed_component_id_component")
        ),
        sa.ForeignKeyConstraint(["field_engineer_id"], ["user.id"], name=op.f("fk_rma_field_engineer_id_user")),
        sa.ForeignKeyConstraint(
            ["installed_component_id"], ["component.id"], name=op.f("fk_rma_installed_component_id_component")
        ),
        sa.ForeignKeyConstraint(
            ["organization_id"], ["organization.id"], name=op.f("fk_rma_organization_id_organization")
        ),
        sa.ForeignKeyConstraint(["replacement_part_id"], ["part.id"], name=op.f("fk_rma_replacement_part_id_part")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_rma")),
        sa.UniqueConstraint("number", name=op.f("uq_rma_number")),
    )
    with op.batch_alter_table("rma", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_rma_asset_id"), ["asset_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_rma_case_id"), ["case_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_rma_field_engineer_id"), ["field_engineer_id"], unique=False)
        batch_op.create_index("ix_rma_org_state", ["organization_id", "state"], unique=False)
        batch_op.create_index("ix_rma_region_state", ["region", "state"], unique=False)

    op.create_table(
        "rma_dispatch",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("rma_id", sa.Integer(), nullable=False),
        sa.Column("engineer_id", sa.Integer(), nullable=False),
        sa.Column("window_start", sa.DateTime(timezone=True), nullable=False),
        sa.Column("window_end", sa.DateTime(timezone=True), nullable=False),
        sa.Column("contact_name", sa.String(length=200), nullable=False),
        sa.Column("contact_phone", sa.String(length=64), nullable=False),
        sa.Column("arrived_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("notes", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["engineer_id"], ["user.id"], name=op.f("fk_rma_dispatch_engineer_id_user")),
        sa.ForeignKeyConstraint(["rma_id"], ["rma.id"], name=op.f("fk_rma_dispatch_rma_id_rma")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_rma_dispatch")),
    )
    with op.batch_alter_table("rma_dispatch", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_rma_dispatch_engineer_id"), ["engineer_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_rma_dispatch_rma_id"), ["rma_id"], unique=False)

    op.create_table(
        "rma_failure_analysis",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("rma_id", sa.Integer(), nullable=False),
        sa.Column("asset_id", sa.Integer(), nullable=False),
        sa.Column("part_id", sa.Integer(), nullable=False),
        sa.Column("expected_serial", sa.String(length=64), nullable=False),
        sa.Column("returned_serial", sa.String(length=64), nullable=False),
        sa.Column("serial_matches", sa.Boolean(), nullable=False),
        sa.Column("received_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("received_by_id", sa.Integer(), nullable=True),
        sa.Column("result", sa.String(length=16), nullable=True),
        sa.Column("failure_code", sa.String(length=32), nullable=False),
        sa.Column("notes", sa.Text(), nullable=False),
        sa.Column("analysed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("analysed_by_id", sa.Integer(), nullable=True),
        sa.CheckConstraint(
            "result IS NULL OR result IN ('confirmed', 'no_fault_found')", name=op.f("ck_rma_failure_analysis_result")
        ),
        sa.ForeignKeyConstraint(
            ["analysed_by_id"], ["user.id"], name=op.f("fk_rma_failure_analysis_analysed_by_id_user")
        ),
        sa.ForeignKeyConstraint(["asset_id"], ["asset.id"], name=op.f("fk_rma_failure_analysis_asset_id_asset")),
        sa.ForeignKeyConstraint(["part_id"], ["part.id"], name=op.f("fk_rma_failure_analysis_part_id_part")),
        sa.ForeignKeyConstraint(
            ["received_by_id"], ["user.id"], name=op.f("fk_rma_failure_analysis_received_by_id_user")
        ),
        sa.ForeignKeyConstraint(["rma_id"], ["rma.id"], name=op.f("fk_rma_failure_analysis_rma_id_rma")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_rma_failure_analysis")),
        sa.UniqueConstraint("rma_id", name=op.f("uq_rma_failure_analysis_rma_id")),
    )
    with op.batch_alter_table("rma_failure_analysis", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_rma_failure_analysis_asset_id"), ["asset_id"], unique=False)

    op.create_table(
        "rma_shipment",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("rma_id", sa.Integer(), nullable=False),
        sa.Column("direction", sa.String(length=8), nullable=False),
        sa.Column("carrier", sa.String(length=64), nullable=False),
        sa.Column("tracking", sa.String(length=64), nullable=False),
        sa.Column("shipped_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("delivered_at", sa.DateTime(timezone=True), nullable=True),
        sa.CheckConstraint("direction IN ('out', 'return')", name=op.f("ck_rma_shipment_direction")),
        sa.ForeignKeyConstraint(["rma_id"], ["rma.id"], name=op.f("fk_rma_shipment_rma_id_rma")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_rma_shipment")),
    )
    with op.batch_alter_table("rma_shipment", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_rma_shipment_rma_id"), ["rma_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("rma_shipment", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_rma_shipment_rma_id"))

    op.drop_table("rma_shipment")
    with op.batch_alter_table("rma_failure_analysis", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_rma_failure_analysis_asset_id"))

    op.drop_table("rma_failure_analysis")
    with op.batch_alter_table("rma_dispatch", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_rma_dispatch_rma_id"))
        batch_op.drop_index(batch_op.f("ix_rma_dispatch_engineer_id"))

    op.drop_table("rma_dispatch")
    with op.batch_alter_table("rma", schema=None) as batch_op:
        batch_op.drop_index("ix_rma_region_state")
        batch_op.drop_index("ix_rma_org_state")
        batch_op.drop_index(batch_op.f("ix_rma_field_engineer_id"))
        batch_op.drop_index(batch_op.f("ix_rma_case_id"))
        batch_op.drop_index(batch_op.f("ix_rma_asset_id"))

    op.drop_table("rma")
