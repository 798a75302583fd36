"""The queue: each case's stored next SLA deadline (sorted and filtered in SQL), the
customer-escalated marker, saved queue views per user and macros (canned replies).

Revision ID: 0023
Revises: 0020
Create Date: 2026-12-02
"""

from datetime import timedelta

import sqlalchemy as sa
from alembic import op

revision = "0023"
down_revision = "0020"
branch_labels = None
depends_on = None

_CASE = sa.table(
    "support_case",
    sa.column("id", sa.Integer()),
    sa.column("status", sa.String()),
    sa.column("created_at", sa.DateTime(timezone=True)),
    sa.column("sla_paused_at", sa.DateTime(timezone=True)),
    sa.column("first_response_due_at", sa.DateTime(timezone=True)),
    sa.column("first_response_at", sa.DateTime(timezone=True)),
    sa.column("next_update_due_at", sa.DateTime(timezone=True)),
    sa.column("last_vendor_update_at", sa.DateTime(timezone=True)),
    sa.column("resolution_due_at", sa.DateTime(timezone=True)),
    sa.column("next_due_at", sa.DateTime(timezone=True)),
    sa.column("next_due_kind", sa.String()),
    sa.column("at_risk_at", sa.DateTime(timezone=True)),
    sa.column("customer_escalated_at", sa.DateTime(timezone=True)),
)
_EVENT = sa.table(
    "case_event", sa.column("case_id", sa.Integer()), sa.column("kind", sa.String()), sa.column("created_at")
)


def _deadline(row) -> tuple:
    """casemgr.queue.rules.next_deadline as of this revision (a migration does not follow later code)."""
    if row.status in ("resolved", "closed") or row.sla_paused_at is not None:
        return None, None, None
    candidates = []
    if row.first_response_at is None and row.first_response_due_at is not None:
        candidates.append((row.first_response_due_at, 0, "first_response", row.created_at))
    if row.first_response_at is not None and row.next_update_due_at is not None:
        candidates.append(
            (row.next_update_due_at, 1, "next_update", row.last_vendor_update_at or row.first_response_at)
        )
    if row.resolution_due_at is not None:
        candidates.append((row.resolution_due_at, 2, "resolution", row.created_at))
    if not candidates:
        return None, None, None
    due, _order, kind, started = min(candidates)
    span = max(due - started, timedelta(0))
    return due, kind, due - max(span * 0.25, timedelta(hours=1))


def _backfill() -> None:
    conn = op.get_bind()
    rows = conn.execute(sa.select(_CASE).where(_CASE.c.status.notin_(("resolved", "closed")))).all()
    values = []
    for row in rows:
        due, kind, risk = _deadline(row)
        if due is not None:
            values.append({"b_id": row.id, "next_due_at": due, "next_due_kind": kind, "at_risk_at": risk})
    if values:
        conn.execute(
            _CASE.update()
            .where(_CASE.c.id == sa.bindparam("b_id"))
            .values(
                next_due_at=sa.bindparam("next_due_at"),
                next_due_kind=sa.bindparam("next_due_kind"),
                at_risk_at=sa.bindparam("at_risk_at"),
            ),
            values,
        )
    latest = (
        sa.select(sa.func.max(_EVENT.c.created_at))
        .where(_EVENT.c.case_id == _CASE.c.id, _EVENT.c.kind == "escalation_requested")
        .scalar_subquery()
    )
    conn.execute(_CASE.update().values(customer_escalated_at=latest))


def upgrade() -> None:
    with op.batch_alter_table("support_case", schema=None) as batch_op:
        batch_op.add_column(sa.Column("next_due_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column("next_due_kind", sa.String(length=16), nullable=True))
        batch_op.add_column(sa.Column("at_risk_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column("customer_escalated_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.create_index("ix_support_case_next_due", ["next_due_at", "id"], unique=False)
    _backfill()
    op.create_table(
        "saved_view",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=60), nullable=False),
        sa.Column("query", sa.String(length=500), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["user_id"], ["user.id"], name=op.f("fk_saved_view_user_id_user")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_saved_view")),
        sa.UniqueConstraint("user_id", "name", name=op.f("uq_saved_view_user_id_name")),
    )
    op.create_table(
        "macro",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=80), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("created_by_id", sa.Integer(), nullable=True),
        sa.Column("updated_by_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["created_by_id"], ["user.id"], name=op.f("fk_macro_created_by_id_user")),
        sa.ForeignKeyConstraint(["updated_by_id"], ["user.id"], name=op.f("fk_macro_updated_by_id_user")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_macro")),
        sa.UniqueConstraint("name", name=op.f("uq_macro_name")),
    )


def downgrade() -> None:
    op.drop_table("macro")
    op.drop_table("saved_view")
    with op.batch_alter_table("support_case", schema=None) as batch_op:
        batch_op.drop_index("ix_support_case_next_due")
        batch_op.drop_column("customer_escalated_at")
        batch_op.drop_column("at_risk_at")
        batch_op.drop_column("next_due_kind")
        batch_op.drop_column("next_due_at")
