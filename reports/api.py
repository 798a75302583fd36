"""Account reporting in the API: the account review PDF and thank-you notes, with the
same rules as the pages (account managers see their partners, managers all of them)."""

from __future__ import annotations

from flask import Response
from flask.views import MethodView
from flask_smorest import Blueprint
from marshmallow import Schema, fields, validate

from casemgr.api.auth import api_user
from casemgr.api.cases import case_or_404
from casemgr.db import get_session
from casemgr.web import now
from reports import rules, services
from reports.partner import partner_report
from reports.pdf import render_review

blp = Blueprint("api_reports", __name__, description="Account reporting")


class PeriodArgs(Schema):
    from_ = fields.String(data_key="from", load_default=None, metadata={"description": "first day, YYYY-MM-DD"})
    to = fields.String(load_default=None, metadata={"description": "last day, YYYY-MM-DD (as on the page)"})


class ThanksIn(Schema):
    engineer = fields.Email(required=True, metadata={"description": "an engineer who worked on the case"})
    note = fields.String(required=True, validate=validate.Length(min=1, max=1000))


class ThanksOut(Schema):
    id = fields.Integer()
    kind = fields.String()
    body = fields.String()
    created_at = fields.DateTime()


@blp.route("/organizations/<id:org_id>/review.pdf")
class Review(MethodView):
    @blp.arguments(PeriodArgs(), location="query")
    @blp.response(200, content_type="application/pdf")
    def get(self, args, org_id):
        """The quarterly account review of one partner as PDF (404 for a partner the caller may not see)."""
        period = rules.parse_period(args["from_"], args["to"], now().date())  # as the page reads it
        report = partner_report(get_session(), api_user(), org_id, period, now())
        name = "".join(ch if ch.isalnum() else "-" for ch in report.organization.name)
        filename = f"account-review-{name}-{report.period.start}-{report.period.end}.pdf"
        return Response(
            render_review(report),
            mimetype="application/pdf",
            headers={"Content-Disposition": f'attachment; filename="{filename}"'},
        )


@blp.route("/cases/<number>/thanks")
class Thanks(MethodView):
    @blp.arguments(ThanksIn())
    @blp.response(201, ThanksOut)
    def post(self, body, number):
        """A support manager thanks an engineer who worked on the case (an internal entry and a message)."""
        from casemgr.auth.services import find_user_by_email

        session, case = get_session(), case_or_404(number)
        engineer = find_user_by_email(session, body["engineer"])
        return services.thank_engineer(
            session,
            api_user(),
            case,
            engineer_id=engineer.id if engineer is not None else -1,
            note=body["note"],
            now=now(),
        )
