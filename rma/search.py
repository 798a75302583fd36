"""RMAs in search (registered by :func:`rma.init_app`): RMA numbers and carrier tracking
numbers jump to the RMA, and the problem text is searched, all scoped by
:func:`rma.queries.rma_filter` (field engineers: their own and their region's)."""

from __future__ import annotations

from typing import Any

from flask import url_for
from markupsafe import escape
from sqlalchemy import ColumnElement, Select, func, select
from sqlalchemy.orm import Session

from casemgr.auth.models import User
from casemgr.search.sources import (
    NO_EXCERPT,
    Hit,
    TextSearch,
    constant,
    fts5_matches,
    fts5_score,
    fts5_table,
    pg_document,
    pg_matches,
    pg_score,
    pg_tenant_key,
)
from casemgr.search.text import Query, case_number, identifier, plain_snippet, rma_number
from rma.models import Rma, Shipment
from rma.queries import rma_filter


def _same_tracking(session: Session, tracking: str) -> ColumnElement[bool]:
    """Tracking numbers in any case, through the index of the migration 0022."""
    if session.get_bind().dialect.name == "postgresql":
        return func.upper(Shipment.tracking) == tracking
    return Shipment.tracking.collate("NOCASE") == tracking


def _url(number: str) -> str:
    return url_for("rma.show_rma", number=number)


class RmaText:
    kind = "rma"
    fts5 = "rma_fts"

    def statement(self, search: TextSearch) -> Select[Any] | None:
        head = (constant("rma", "kind"), Rma.number.label("key"), Rma.number.label("title"))
        scope = rma_filter(search.actor)
        if search.dialect == "postgresql":
            document = pg_document("rma")
            return select(*head, pg_score(document, search), Rma.id.label("sid"), Rma.problem.label("excerpt")).where(
                pg_matches(document, search), *pg_tenant_key(search, Rma.organization_id), scope
            )
        fts = fts5_table("rma_fts")
        return (
            select(*head, fts5_score(search, "rma_fts"), Rma.id.label("sid"), NO_EXCERPT)
            .select_from(fts.join(Rma, Rma.id == fts.c.rowid))
            # Field engineers (scope "none" for organisations) match on the words alone: rma_filter decides.
            .where(fts5_matches("rma_fts", search.fts5_scoped_match("problem")), scope)
        )

    def url(self, key: str, sid: int) -> str:
        return _url(key)


class RmaIdentifiers:
    """``RMA-000123`` in any case, and the carrier tracking number of either leg."""

    kind = "rma"

    def find(self, session: Session, actor: User, query: Query) -> list[Hit]:
        scope = rma_filter(actor)
        number = rma_number(query.text)
        if number is not None:
            rma = session.scalar(select(Rma).where(Rma.number == number, scope))
            return [self._hit(rma.number, plain_snippet(rma.problem))] if rma is not None else []
        tracking = identifier(query.text)
        if tracking is None or case_number(query.text) is not None:
            return []
        rows = session.execute(
            select(Rma.number, Shipment.carrier, Shipment.tracking, Shipment.direction)
            .join(Rma, Rma.id == Shipment.rma_id)
            .where(_same_tracking(session, tracking), scope)
            .order_by(Shipment.id.desc())
            .limit(10)
        ).all()
        leg = {"out": "replacement", "return": "defective part's return"}
        return [self._hit(n, f"{carrier} {t} ({leg.get(d, d)})") for n, carrier, t, d in rows]

    @staticmethod
    def _hit(number: str, text: str) -> Hit:
        return Hit("rma", number, number, escape(text), _url(number))
