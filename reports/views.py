"""Account pages: parse, authorise (through reports.queries / policy), call one function, render."""

from __future__ import annotations

from flask import Blueprint, Response, abort, render_template, request
from flask_login import login_required
from markupsafe import Markup

from casemgr.cases.queries import QueueFilter
from casemgr.db import get_session
from casemgr.forms import options
from casemgr.registry import registry_of
from casemgr.web import actor, case_form_action, case_or_404, now
from reports import charts, csv_export, queries, rules, services
from reports.forms import RatingForm, ThanksForm
from reports.partner import partner_report
from reports.pdf import render_review

bp = Blueprint("reports", __name__)


def _period():
    return rules.parse_period(request.args.get("from"), request.args.get("to"), now().date())


def _report(org_id: int):
    """The partner's report; ``NotFoundError`` (404) if the user may not see the partner."""
    return partner_report(get_session(), actor(), org_id, _period(), now())


def _csv(export, filename: str, *args) -> Response:
    """Stream ``export(session, *args)`` from a session of its own: the request's
    session is closed when the view returns, before the body is sent."""
    db = registry_of().db  # the app's, kept: the body is sent after the app context ends

    def lines():
        session = db.session_factory()
        try:
            yield from export(session, *args)
        finally:
            session.close()

    return Response(lines(), mimetype="text/csv", headers={"Content-Disposition": f'attachment; filename="{filename}"'})


@bp.get("/accounts/")
@login_required
def home():
    session = get_session()
    flt = queries.DashboardFilter.from_args(request.args)
    partners = queries.partners(session, actor())  # NotFoundError (404) for roles without account pages
    board = queries.dashboard(session, actor(), flt, now())
    template = "reports/_dashboard.html" if request.args.get("partial") == "1" else "reports/home.html"
    return render_template(
        template,
        board=board,
        flt=flt,
        partners=partners,
        SLA_LABELS=rules.SLA_LABELS,
        is_manager=actor().role in queries.MANAGER_ROLES,
    )


@bp.get("/accounts/cases.csv")
@login_required
def dashboard_csv():
    flt = queries.DashboardFilter.from_args(request.args)
    if not queries.can_view_accounts(actor()):
        abort(404)
    if flt.organization_id:
        _partner_or_404(flt.organization_id)
    return _csv(csv_export.dashboard_csv, "open-cases.csv", actor(), flt, now())


def _partner_or_404(org_id: int):
    return queries.get_partner_for(get_session(), actor(), org_id)  # NotFoundError: 404


@bp.get("/accounts/partners/<int:org_id>")
@login_required
def partner(org_id: int):
    report = _report(org_id)
    session = get_session()
    teams = people = None
    if actor().role in queries.MANAGER_ROLES:
        teams, people = queries.breaches_by_team(session, actor(), report.period, org_id)
    return render_template(
        "reports/partner.html",
        r=report,
        s=report.summary,
        titles=charts.TITLES,
        partners=queries.partners(session, actor()),
        teams=teams,
        people=people,
        period_args={"from": report.period.start.isoformat(), "to": report.period.end.isoformat()},
    )


@bp.get("/accounts/partners/<int:org_id>/charts/<name>.svg")
@login_required
def chart(org_id: int, name: str):
    if name not in charts.CHARTS:
        abort(404)
    response = Response(charts.render(_report(org_id), name), mimetype="image/svg+xml")
    # matplotlib's SVG styles itself inline; it runs no script and loads nothing.
    response.headers["Content-Security-Policy"] = "default-src 'none'; style-src 'unsafe-inline'"
    response.headers["Cache-Control"] = "private, max-age=300"
    return response


@bp.get("/accounts/partners/<int:org_id>/review.pdf")
@login_required
def review_pdf(org_id: int):
    report = _report(org_id)
    name = "".join(ch if ch.isalnum() else "-" for ch in report.organization.name)
    filename = f"account-review-{name}-{report.period.start}-{report.period.end}.pdf"
    return Response(
        render_review(report),
        mimetype="application/pdf",
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )


@bp.get("/accounts/partners/<int:org_id>/cases.csv")
@login_required
def partner_csv(org_id: int):
    _partner_or_404(org_id)
    flt = queries.DashboardFilter(organization_id=org_id)
    return _csv(csv_export.dashboard_csv, f"open-cases-{org_id}.csv", actor(), flt, now())


@bp.get("/accounts/team")
@login_required
def team():
    if actor().role not in queries.MANAGER_ROLES:
        abort(404)
    period = _period()
    teams, people = queries.breaches_by_team(get_session(), actor(), period)
    return render_template("reports/team.html", period=period, teams=teams, people=people)


@bp.get("/cases/export.csv")
@login_required
def queue_csv():
    flt = QueueFilter.from_args(request.args, vendor=not actor().is_customer)
    return _csv(csv_export.queue_csv, "cases.csv", actor(), flt, now())


@bp.post("/cases/<number>/rating")
@login_required
def rate(number: str):
    case, form = case_or_404(number), RatingForm()
    return case_form_action(
        case,
        form,
        invalid="Choose a rating from 1 to 5 (comments up to 2000 characters).",
        run=lambda: services.rate_case(
            get_session(), actor(), case, rating=int(form.rating.data), comment=form.comment.data or "", now=now()
        ),
        done="Thank you for your rating.",
    )


@bp.post("/cases/<number>/thanks")
@login_required
def thanks(number: str):
    case, form = case_or_404(number), ThanksForm()
    form.engineer_id.choices = options((u.id, u.name) for u in services.case_engineers(get_session(), case))
    return case_form_action(
        case,
        form,
        invalid="Choose an engineer and write a note (at most 1000 characters).",
        run=lambda: services.thank_engineer(
            get_session(), actor(), case, engineer_id=int(form.engineer_id.data), note=form.note.data or "", now=now()
        ),
        done="Thank-you note sent; it is on the case's internal timeline.",
    )


def rating_panel(session, user, case, at) -> Markup | None:
    """Resolved cases: the customer is asked once; everyone who sees the case sees the answer."""
    if case.is_open:
        return None
    rating = queries.case_rating(session, case)
    form = RatingForm() if rating is None and services.can_rate(user, case) else None
    if rating is None and form is None:
        return None
    return Markup(render_template("reports/rating_panel.html", case=case, rating=rating, form=form))


def thanks_panel(session, user, case, at) -> Markup | None:
    if user.role not in queries.MANAGER_ROLES:
        return None
    form = ThanksForm()
    engineers = [u for u in services.case_engineers(session, case) if u.id != user.id]
    form.engineer_id.choices = options((u.id, u.name) for u in engineers)
    if case.owner_id and any(u.id == case.owner_id for u in engineers):
        form.engineer_id.data = str(case.owner_id)
    return Markup(render_template("reports/thanks_panel.html", case=case, form=form, engineers=engineers))
