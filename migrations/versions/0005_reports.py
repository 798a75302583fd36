"""Customer ratings of resolved cases (one per case) and the weekly digest's once-per-week log.

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-24
"""

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "report_digest_log",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("manager_id", sa.Integer(), nullable=False),
        sa.Column("iso_week", sa.String(length=8), nullable=False),
        sa.Column("sent_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["manager_id"], ["user.id"], name=op.f("fk_report_digest_log_manager_id_user")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_report_digest_log")),
        sa.UniqueConstraint("manager_id", "iso_week", name=op.f("uq_report_digest_log_manager_id_iso_week")),
    )
    op.create_table(
        "case_rating",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("case_id", sa.Integer(), nullable=False),
        sa.Column("organization_id", sa.Integer(), nullable=False),
        sa.Column("rating", sa.Integer(), nullable=False),
        sa.Column("comment", sa.Text(), nullable=False),
        sa.Column("rated_by_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint("rating BETWEEN 1 AND 5", name=op.f("ck_case_rating_rating")),
        sa.ForeignKeyConstraint(["case_id"], ["support_case.id"], name=op.f("fk_case_rating_case_id_support_case")),
        sa.ForeignKeyConstraint(
            ["organization_id"], ["organization.id"], name=op.f("fk_case_rating_organization_id_organization")
        ),
        sa.ForeignKeyConstraint(["rated_by_id"], ["user.id"], name=op.f("fk_case_rating_rated_by_id_user")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_case_rating")),
        sa.UniqueConstraint("case_id", name=op.f("uq_case_rating_case_id")),
    )
    with op.batch_alter_table("case_rating", schema=None) as batch_op:
        batch_op.create_index("ix_case_rating_org_created", ["organization_id", "created_at"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("case_rating", schema=None) as batch_op:
        batch_op.drop_index("ix_case_rating_org_created")

    op.drop_table("case_rating")
    op.drop_table("report_digest_log")
