"""Initial schema: organisations, users, assets, contracts, cases and timeline.

Revision ID: 0001
Revises:
Create Date: 2026-11-24
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None

JSON = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")


def upgrade() -> None:
    op.create_table(
        "business_calendar",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("always", sa.Boolean(), nullable=False),
        sa.Column("timezone", sa.String(length=64), nullable=True),
        sa.Column("weekly_hours", JSON, nullable=False),
        sa.Column("holidays", JSON, nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_business_calendar")),
        sa.UniqueConstraint("name", name=op.f("uq_business_calendar_name")),
    )
    op.create_table(
        "counter",
        sa.Column("name", sa.String(length=32), nullable=False),
        sa.Column("value", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("name", name=op.f("pk_counter")),
    )
    op.create_table(
        "organization",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("is_vendor", sa.Boolean(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_organization")),
        sa.UniqueConstraint("name", name=op.f("uq_organization_name")),
    )
    op.create_table(
        "part",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("part_number", sa.String(length=64), nullable=False),
        sa.Column("description", sa.String(length=200), nullable=False),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("data_bearing", sa.Boolean(), nullable=False),
        sa.Column("customer_replaceable", sa.Boolean(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_part")),
        sa.UniqueConstraint("part_number", name=op.f("uq_part_part_number")),
    )
    op.create_table(
        "product",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("model", sa.String(length=100), nullable=False),
        sa.Column("product_line", sa.String(length=100), nullable=False),
        sa.Column("end_of_support_on", sa.Date(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_product")),
        sa.UniqueConstraint("model", name=op.f("uq_product_model")),
    )
    op.create_table(
        "product_part",
        sa.Column("product_id", sa.Integer(), nullable=False),
        sa.Column("part_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["part_id"], ["part.id"], name=op.f("fk_product_part_part_id_part")),
        sa.ForeignKeyConstraint(["product_id"], ["product.id"], name=op.f("fk_product_part_product_id_product")),
        sa.PrimaryKeyConstraint("product_id", "part_id", name=op.f("pk_product_part")),
    )
    op.create_table(
        "site",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("organization_id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("address", sa.Text(), nullable=False),
        sa.Column("timezone", sa.String(length=64), nullable=False),
        sa.Column("contact_name", sa.String(length=200), nullable=False),
        sa.Column("contact_phone", sa.String(length=64), nullable=False),
        sa.ForeignKeyConstraint(
            ["organization_id"], ["organization.id"], name=op.f("fk_site_organization_id_organization")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_site")),
        sa.UniqueConstraint("organization_id", "name", name=op.f("uq_site_organization_id_name")),
    )
    with op.batch_alter_table("site", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_site_organization_id"), ["organization_id"], unique=False)

    op.create_table(
        "support_plan",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(length=32), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("calendar_id", sa.Integer(), nullable=False),
        sa.Column("targets", JSON, nullable=False),
        sa.Column("onsite", sa.Boolean(), nullable=False),
        sa.Column("advance_replacement", sa.Boolean(), nullable=False),
        sa.Column("keep_your_drive", sa.Boolean(), nullable=False),
        sa.ForeignKeyConstraint(
            ["calendar_id"], ["business_calendar.id"], name=op.f("fk_support_plan_calendar_id_business_calendar")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_support_plan")),
        sa.UniqueConstraint("code", name=op.f("uq_support_plan_code")),
    )
    op.create_table(
        "user",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("email", sa.String(length=254), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("password_hash", sa.String(length=256), nullable=False),
        sa.Column("role", sa.String(length=32), nullable=False),
        sa.Column("organization_id", sa.Integer(), nullable=False),
        sa.Column("region", sa.String(length=64), nullable=True),
        sa.Column("is_active", sa.Boolean(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "role IN ('customer_admin', 'customer_user', 'support_engineer', 'field_engineer',"
            " 'account_manager', 'support_manager', 'admin')",
            name=op.f("ck_user_role"),
        ),
        sa.ForeignKeyConstraint(
            ["organization_id"], ["organization.id"], name=op.f("fk_user_organization_id_organization")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_user")),
        sa.UniqueConstraint("email", name=op.f("uq_user_email")),
    )
    with op.batch_alter_table("user", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_user_organization_id"), ["organization_id"], unique=False)

    op.create_table(
        "account_assignment",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("account_manager_id", sa.Integer(), nullable=False),
        sa.Column("organization_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["account_manager_id"], ["user.id"], name=op.f("fk_account_assignment_account_manager_id_user")
        ),
        sa.ForeignKeyConstraint(
            ["organization_id"], ["organization.id"], name=op.f("fk_account_assignment_organization_id_organization")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_account_assignment")),
        sa.UniqueConstraint(
            "account_manager_id",
            "organization_id",
            name=op.f("uq_account_assignment_account_manager_id_organization_id"),
        ),
    )
    with op.batch_alter_table("account_assignment", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_account_assignment_account_manager_id"), ["account_manager_id"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_account_assignment_organization_id"), ["organization_id"], unique=False)

    op.create_table(
        "asset",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("serial", sa.String(length=64), nullable=False),
        sa.Column("product_id", sa.Integer(), nullable=False),
        sa.Column("organization_id", sa.Integer(), nullable=False),
        sa.Column("site_id", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["organization_id"], ["organization.id"], name=op.f("fk_asset_organization_id_organization")
        ),
        sa.ForeignKeyConstraint(["product_id"], ["product.id"], name=op.f("fk_asset_product_id_product")),
        sa.ForeignKeyConstraint(["site_id"], ["site.id"], name=op.f("fk_asset_site_id_site")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_asset")),
        sa.UniqueConstraint("serial", name=op.f("uq_asset_serial")),
    )
    with op.batch_alter_table("asset", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_asset_organization_id"), ["organization_id"], unique=False)

    op.create_table(
        "contract",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("number", sa.String(length=32), nullable=False),
        sa.Column("organization_id", sa.Integer(), nullable=False),
        sa.Column("plan_id", sa.Integer(), nullable=False),
        sa.Column("starts_on", sa.Date(), nullable=False),
        sa.Column("ends_on", sa.Date(), nullable=False),
        sa.CheckConstraint("ends_on >= starts_on", name=op.f("ck_contract_dates")),
        sa.ForeignKeyConstraint(
            ["organization_id"], ["organization.id"], name=op.f("fk_contract_organization_id_organization")
        ),
        sa.ForeignKeyConstraint(["plan_id"], ["support_plan.id"], name=op.f("fk_contract_plan_id_support_plan")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_contract")),
        sa.UniqueConstraint("number", name=op.f("uq_contract_number")),
    )
    with op.batch_alter_table("contract", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_contract_organization_id"), ["organization_id"], unique=False)

    op.create_table(
        "component",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("asset_id", sa.Integer(), nullable=False),
        sa.Column("part_id", sa.Integer(), nullable=False),
        sa.Column("slot", sa.String(length=32), nullable=False),
        sa.Column("serial", sa.String(length=64), nullable=False),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("installed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("removed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("note", sa.Text(), nullable=False),
        sa.CheckConstraint(
            "state IN ('active', 'suspect', 'failed', 'quarantined', 'removed')", name=op.f("ck_component_state")
        ),
        sa.ForeignKeyConstraint(["asset_id"], ["asset.id"], name=op.f("fk_component_asset_id_asset")),
        sa.ForeignKeyConstraint(["part_id"], ["part.id"], name=op.f("fk_component_part_id_part")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_component")),
    )
    with op.batch_alter_table("component", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_component_asset_id"), ["asset_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_component_serial"), ["serial"], unique=False)
        batch_op.create_index(
            "uq_component_slot_installed",
            ["asset_id", "slot"],
            unique=True,
            sqlite_where=sa.text("state != 'removed'"),
            postgresql_where=sa.text("state != 'removed'"),
        )

    op.create_table(
        "contract_asset",
        sa.Column("contract_id", sa.Integer(), nullable=False),
        sa.Column("asset_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["asset_id"], ["asset.id"], name=op.f("fk_contract_asset_asset_id_asset")),
        sa.ForeignKeyConstraint(["contract_id"], ["contract.id"], name=op.f("fk_contract_asset_contract_id_contract")),
        sa.PrimaryKeyConstraint("contract_id", "asset_id", name=op.f("pk_contract_asset")),
    )
    with op.batch_alter_table("contract_asset", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_contract_asset_asset_id"), ["asset_id"], unique=False)

    op.create_table(
        "support_case",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("number", sa.String(length=16), nullable=False),
        sa.Column("organization_id", sa.Integer(), nullable=False),
        sa.Column("asset_id", sa.Integer(), nullable=True),
        sa.Column("component_id", sa.Integer(), nullable=True),
        sa.Column("contract_id", sa.Integer(), nullable=True),
        sa.Column("entitled", sa.Boolean(), nullable=False),
        sa.Column("severity", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("subject", sa.String(length=200), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("channel", sa.String(length=16), nullable=False),
        sa.Column("owner_id", sa.Integer(), nullable=True),
        sa.Column("opened_by_id", sa.Integer(), nullable=True),
        sa.Column("queue", sa.String(length=16), nullable=False),
        sa.Column("escalation_level", sa.Integer(), nullable=False),
        sa.Column("close_reason", sa.String(length=32), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("resolved_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("closed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.CheckConstraint(
            "status IN ('new', 'in_progress', 'waiting_customer', 'waiting_vendor', 'resolved', 'closed')",
            name=op.f("ck_support_case_status"),
        ),
        sa.CheckConstraint("severity BETWEEN 1 AND 4", name=op.f("ck_support_case_severity")),
        sa.ForeignKeyConstraint(["asset_id"], ["asset.id"], name=op.f("fk_support_case_asset_id_asset")),
        sa.ForeignKeyConstraint(
            ["component_id"], ["component.id"], name=op.f("fk_support_case_component_id_component")
        ),
        sa.ForeignKeyConstraint(["contract_id"], ["contract.id"], name=op.f("fk_support_case_contract_id_contract")),
        sa.ForeignKeyConstraint(["opened_by_id"], ["user.id"], name=op.f("fk_support_case_opened_by_id_user")),
        sa.ForeignKeyConstraint(
            ["organization_id"], ["organization.id"], name=op.f("fk_support_case_organization_id_organization")
        ),
        sa.ForeignKeyConstraint(["owner_id"], ["user.id"], name=op.f("fk_support_case_owner_id_user")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_support_case")),
        sa.UniqueConstraint("number", name=op.f("uq_support_case_number")),
    )
    with op.batch_alter_table("support_case", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_support_case_asset_id"), ["asset_id"], unique=False)
        batch_op.create_index("ix_support_case_org_status", ["organization_id", "status"], unique=False)
        batch_op.create_index(batch_op.f("ix_support_case_owner_id"), ["owner_id"], unique=False)
        batch_op.create_index("ix_support_case_queue", ["status", "severity", "created_at"], unique=False)

    op.create_table(
        "case_event",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("case_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("actor_id", sa.Integer(), nullable=True),
        sa.Column("public", sa.Boolean(), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("data", JSON, nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["actor_id"], ["user.id"], name=op.f("fk_case_event_actor_id_user")),
        sa.ForeignKeyConstraint(["case_id"], ["support_case.id"], name=op.f("fk_case_event_case_id_support_case")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_case_event")),
    )
    with op.batch_alter_table("case_event", schema=None) as batch_op:
        batch_op.create_index("ix_case_event_case_id_id", ["case_id", "id"], unique=False)

    op.create_table(
        "attachment",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("case_id", sa.Integer(), nullable=False),
        sa.Column("event_id", sa.Integer(), nullable=True),
        sa.Column("filename", sa.String(length=255), nullable=False),
        sa.Column("content_type", sa.String(length=100), nullable=False),
        sa.Column("size", sa.Integer(), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("uploaded_by_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["case_id"], ["support_case.id"], name=op.f("fk_attachment_case_id_support_case")),
        sa.ForeignKeyConstraint(["event_id"], ["case_event.id"], name=op.f("fk_attachment_event_id_case_event")),
        sa.ForeignKeyConstraint(["uploaded_by_id"], ["user.id"], name=op.f("fk_attachment_uploaded_by_id_user")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_attachment")),
    )
    with op.batch_alter_table("attachment", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_attachment_case_id"), ["case_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("attachment", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_attachment_case_id"))

    op.drop_table("attachment")
    with op.batch_alter_table("case_event", schema=None) as batch_op:
        batch_op.drop_index("ix_case_event_case_id_id")

    op.drop_table("case_event")
    with op.batch_alter_table("support_case", schema=None) as batch_op:
        batch_op.drop_index("ix_support_case_queue")
        batch_op.drop_index(batch_op.f("ix_support_case_owner_id"))
        batch_op.drop_index("ix_support_case_org_status")
        batch_op.drop_index(batch_op.f("ix_support_case_asset_id"))

    op.drop_table("support_case")
    with op.batch_alter_table("contract_asset", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_contract_asset_asset_id"))

    op.drop_table("contract_asset")
    with op.batch_alter_table("component", schema=None) as batch_op:
        batch_op.drop_index(
            "uq_component_slot_installed",
            sqlite_where=sa.text("state != 'removed'"),
            postgresql_where=sa.text("state != 'removed'"),
        )
        batch_op.drop_index(batch_op.f("ix_component_serial"))
        batch_op.drop_index(batch_op.f("ix_component_asset_id"))

    op.drop_table("component")
    with op.batch_alter_table("contract", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_contract_organization_id"))

    op.drop_table("contract")
    with op.batch_alter_table("asset", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_asset_organization_id"))

    op.drop_table("asset")
    with op.batch_alter_table("account_assignment", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_account_assignment_organization_id"))
        batch_op.drop_index(batch_op.f("ix_account_assignment_account_manager_id"))

    op.drop_table("account_assignment")
    with op.batch_alter_table("user", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_user_organization_id"))

    op.drop_table("user")
    op.drop_table("support_plan")
    with op.batch_alter_table("site", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_site_organization_id"))

    op.drop_table("site")
    op.drop_table("product_part")
    op.drop_table("product")
    op.drop_table("part")
    op.drop_table("organization")
    op.drop_table("counter")
    op.drop_table("business_calendar")
