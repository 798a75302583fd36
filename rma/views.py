"""RMA pages: the list (scoped by role), the RMA page and its actions, My dispatches,
and the PDFs (the case panel with the open-RMA form is ``rma.case_panel``). Parse, authorise, call one
service, render; refusals re-render the page through ``casemgr.web.form_action`` with
the error's status, as the API answers it (a refused transition: 409 naming the
allowed next states)."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, url_for
from flask_login import login_required
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from casemgr.auth.roles import CASE_WORKER_ROLES, CUSTOMER_ROLES, Role
from casemgr.cases.models import CaseEvent
from casemgr.db import get_session
from casemgr.errors import InvalidInput, SafetyRefused
from casemgr.versions import form_version
from casemgr.web import actor, form_action, now
from rma import corrections, dispatch, pdf, queries, returns, rules, services
from rma.lifecycle import STATE_WORDS
from rma.models import Rma
from rma.states import RmaState, allowed_next

bp = Blueprint("rma", __name__)

STATE_FILTERS = ("open", "all") + tuple(s.value for s in RmaState)


def return_days() -> int:
    return int(current_app.config.get("RMA_RETURN_DAYS", services.DEFAULT_RETURN_DAYS))


def _rma_or_404(number: str) -> Rma:
    """The RMA if the user may see it; ``NotFoundError`` (404) otherwise."""
    return queries.get_rma_for(get_session(), actor(), number)


def _version() -> int:
    """The RMA version the form was made from; missing or malformed, the action is refused
    (422, nothing changes, the page keeps what was typed), as a stale one is (409)."""
    return form_version(request.form.get("version"), "RMA")


def _id(value: str | None) -> int | None:
    return int(value) if value and value.isdigit() and int(value) < 2**31 else None


def _local_input(value: str, tz: str) -> datetime:
    """A datetime-local field, read in the site's time zone."""
    try:
        naive = datetime.fromisoformat(value)
    except ValueError:
        raise InvalidInput("Enter the visit window as date and time.") from None
    return naive.replace(tzinfo=ZoneInfo(tz)).astimezone(ZoneInfo("UTC"))


def case_history(session, user, rma: Rma) -> list[CaseEvent]:
    """The case timeline as this user may read it (customers: public entries only)."""
    stmt = select(CaseEvent).where(CaseEvent.case_id == rma.case_id).order_by(CaseEvent.created_at, CaseEvent.id)
    if user.role in CUSTOMER_ROLES:
        stmt = stmt.where(CaseEvent.public.is_(True))
    return list(session.scalars(stmt))


_PATHS = {
    "advance_replacement": [
        "requested",
        "approved",
        "shipped",
        "delivered",
        "installed",
        "return_pending",
        "returned",
        "analysed",
        "closed",
    ],
    "return_and_replace": [
        "requested",
        "approved",
        "return_pending",
        "returned",
        "shipped",
        "delivered",
        "installed",
        "analysed",
        "closed",
    ],
    "onsite_dispatch": [
        "requested",
        "approved",
        "shipped",
        "delivered",
        "dispatched",
        "on_site",
        "installed",
        "return_pending",
        "returned",
        "analysed",
        "closed",
    ],
}


def progress(rma: Rma, events: list[CaseEvent]) -> list[dict]:
    """The kind's path with done / current / ahead marks and when each state was reached."""
    path = list(_PATHS[rma.kind])
    if rma.disposition == "retained" and rma.kind != "return_and_replace":
        path = path[: path.index("installed") + 1] + ["retained", "closed"]
    reached = {e.data.get("to"): e.created_at for e in events if e.kind == "rma" and e.data.get("rma") == rma.number}
    if rma.state == "cancelled":
        last = max((i for i, st in enumerate(path) if st in reached), default=0)
        path = path[: last + 1] + ["cancelled"]
    current = path.index(rma.state) if rma.state in path else len(path) - 1
    return [
        {
            "label": st.replace("_", " "),
            "at": reached.get(st) if i <= current else None,
            "cls": "done" if i < current or rma.state == "closed" else ("current" if i == current else "ahead"),
        }
        for i, st in enumerate(path)
    ]


def _page(
    rma: Rma,
    *,
    error: str | None = None,
    refusals=None,
    status: int = 200,
    posted=None,
    mismatch: returns.SerialMismatchUnconfirmed | None = None,
):
    """``posted``: the form just refused, so its text stays in the fields; ``mismatch``: the
    returned serial differs and receiving waits for the receiver's confirmation."""
    session, user = get_session(), actor()
    ent, contract = services.entitlement_for(session, rma.case, now())
    history = queries.part_history(session, rma.asset_id, rma.failed_component.part_id, exclude=rma.id)
    events = case_history(session, user, rma)
    is_manager = user.role in services.MANAGERS
    return render_template(
        "rma/show.html",
        rma=rma,
        error=error,
        refusals=refusals or [],
        rules=rules,
        mismatch=mismatch,
        correction=corrections.correction_of(session, rma),
        can_correct=is_manager and corrections.correction_blocker(session, rma) is None,
        state_before=rma.component_state_before or "active",
        progress=lambda r: progress(r, events),
        allowed=[s.value for s in allowed_next(rma.kind, rma.state)],
        ent=ent,
        contract=contract,
        events=events,
        history=history,
        is_worker=user.role in CASE_WORKER_ROLES,
        is_manager=is_manager,
        is_assigned=user.role == Role.FIELD_ENGINEER and rma.field_engineer_id == user.id,
        is_customer=user.role in CUSTOMER_ROLES,
        can_case=queries.can_see_case_page(user, rma),
        engineers=dispatch.field_engineers(session) if user.role in CASE_WORKER_ROLES else [],
        site_tz=rma.asset.site.timezone,
        return_days=return_days(),
        posted=posted,
    ), status


@bp.get("/rmas/")
@login_required
def list_rmas():
    session, user = get_session(), actor()
    state = request.args.get("state", "open")
    if state not in STATE_FILTERS:
        state = "open"
    page = max(int(request.args.get("page", "1") or 1) if request.args.get("page", "1").isdigit() else 1, 1)
    size = current_app.config["PAGE_SIZE"]
    rows, total = queries.list_rmas(session, user, state=state, limit=size, offset=(page - 1) * size)
    return render_template(
        "rma/list.html",
        rows=rows,
        total=total,
        state=state,
        states=STATE_FILTERS,
        page=page,
        pages=max((total + size - 1) // size, 1),
        title="RMAs",
    )


@bp.get("/rmas/dispatches")
@login_required
def my_dispatches():
    session, user = get_session(), actor()
    if user.role != Role.FIELD_ENGINEER:
        abort(404)
    rows, total = queries.list_rmas(
        session, user, state=request.args.get("state", "open"), assigned_only=True, limit=200
    )
    histories: dict[int, list[CaseEvent]] = {r.case_id: [] for r in rows}
    stmt = (
        select(CaseEvent)
        .where(CaseEvent.case_id.in_(list(histories)))
        .options(selectinload(CaseEvent.actor))
        .order_by(CaseEvent.created_at, CaseEvent.id)
    )
    for e in session.scalars(stmt) if histories else []:
        histories[e.case_id].append(e)
    return render_template("rma/dispatches.html", rows=rows, total=total, histories=histories)


@bp.get("/rmas/<number>")
@login_required
def show_rma(number: str):
    return _page(_rma_or_404(number))


ACTIONS = {
    "approve": lambda s, u, r, f, t: services.approve(
        s, u, r, note=f.get("note", ""), now=t, expected_version=_version()
    ),
    "ship": lambda s, u, r, f, t: services.ship_replacement(
        s, u, r, carrier=f.get("carrier", ""), tracking=f.get("tracking", ""), now=t, expected_version=_version()
    ),
    "deliver": lambda s, u, r, f, t: services.deliver_replacement(s, u, r, now=t, expected_version=_version()),
    "ship-return": lambda s, u, r, f, t: returns.ship_return(
        s, u, r, carrier=f.get("carrier", ""), tracking=f.get("tracking", ""), now=t, expected_version=_version()
    ),
    "dispatch": lambda s, u, r, f, t: dispatch.schedule_dispatch(
        s,
        u,
        r,
        engineer_id=_id(f.get("engineer_id")) or 0,
        window_start=_local_input(f.get("window_start", ""), r.asset.site.timezone),
        window_end=_local_input(f.get("window_end", ""), r.asset.site.timezone),
        now=t,
        expected_version=_version(),
    ),
    "arrive": lambda s, u, r, f, t: dispatch.record_arrival(s, u, r, now=t, expected_version=_version()),
    "note": lambda s, u, r, f, t: dispatch.add_visit_note(s, u, r, notes=f.get("notes", ""), now=t),
    "revisit": lambda s, u, r, f, t: dispatch.revisit(
        s,
        u,
        r,
        reason=f.get("reason", ""),
        window_start=_local_input(f.get("window_start", ""), r.asset.site.timezone),
        window_end=_local_input(f.get("window_end", ""), r.asset.site.timezone),
        now=t,
        expected_version=_version(),
    ),
    "install": lambda s, u, r, f, t: services.install(
        s,
        u,
        r,
        serial=f.get("serial", ""),
        notes=f.get("notes", ""),
        now=t,
        return_days=return_days(),
        expected_version=_version(),
        channel="web",
    ),
    "receive": lambda s, u, r, f, t: returns.receive_return(
        s,
        u,
        r,
        returned_serial=f.get("returned_serial", ""),
        now=t,
        expected_version=_version(),
        confirm_mismatch=_mismatch_confirmed(f),
    ),
    "analyse": lambda s, u, r, f, t: returns.analyse(
        s,
        u,
        r,
        result=f.get("result", ""),
        failure_code=f.get("failure_code", ""),
        notes=f.get("notes", ""),
        now=t,
        expected_version=_version(),
    ),
    "retain": lambda s, u, r, f, t: returns.retain(s, u, r, now=t, expected_version=_version()),
    "close": lambda s, u, r, f, t: services.close(s, u, r, now=t, expected_version=_version()),
    "cancel": lambda s, u, r, f, t: services.cancel(
        s, u, r, reason=f.get("reason", ""), now=t, expected_version=_version()
    ),
    "correct": lambda s, u, r, f, t: corrections.correct_failed_mark(
        s, u, r, reason=f.get("reason", ""), now=t, expected_version=_version()
    ),
}


def _mismatch_confirmed(form) -> bool:
    """The checkbox confirms one serial: the one it was shown for, still in the field."""
    serial = rules.normalise_serial(form.get("returned_serial", ""))
    return bool(serial) and rules.normalise_serial(form.get("confirm_serial_mismatch", "")) == serial


def _done_message(rma: Rma, action: str) -> str:
    if action == "correct":
        failed = rma.failed_component
        return f"{rma.number}: failed mark corrected; {failed.slot} (SN {failed.serial}) is {failed.state} again."
    if action in ("note", "ship-return"):
        return f"{rma.number}: saved."
    return f"{rma.number}: {STATE_WORDS[RmaState(rma.state)]}."


@bp.post("/rmas/<number>/<action>")
@login_required
def act(number: str, action: str):
    rma = _rma_or_404(number)
    if action not in ACTIONS:
        abort(404)
    posted = {**request.form.to_dict(), "action": action}

    def done():
        ACTIONS[action](get_session(), actor(), rma, request.form, now())
        flash(_done_message(rma, action), "info")
        return redirect(url_for("rma.show_rma", number=number))

    def refused(exc):
        """The RMA page again, what was typed kept: a refused move (409) names the allowed
        states, a serial mismatch asks for the confirmation, the safety guard says why."""
        mismatch = exc if isinstance(exc, returns.SerialMismatchUnconfirmed) else None
        fresh = get_session().get(Rma, rma.id)
        if fresh is None:
            abort(404)
        return _page(
            fresh,
            posted=posted,
            mismatch=mismatch,
            refusals=getattr(exc, "refusals", None),
            error=None if mismatch or isinstance(exc, SafetyRefused) else str(exc),
        )

    return form_action(done, refused)


def _pdf_response(body: bytes, filename: str):
    response = current_app.response_class(body, mimetype="application/pdf")
    response.headers["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


@bp.get("/rmas/<number>/authorization.pdf")
@login_required
def authorization_pdf(number: str):
    rma = _rma_or_404(number)
    return _pdf_response(pdf.authorization_pdf(rma, now()), f"{rma.number}-authorization.pdf")


@bp.get("/rmas/<number>/retention-certificate.pdf")
@login_required
def retention_pdf(number: str):
    rma = _rma_or_404(number)
    if rma.disposition != "retained" or rma.retained_at is None:
        abort(404)
    return _pdf_response(pdf.retention_certificate_pdf(rma, now()), f"{rma.number}-retention-certificate.pdf")
