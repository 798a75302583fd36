"""Case pages: parse, authorise, call one service, render."""

from __future__ import annotations

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, url_for
from flask_login import login_required

from casemgr.assets.queries import assets_with_coverage
from casemgr.auth import policy
from casemgr.auth.roles import TIERS, can_open_cases
from casemgr.cases import comments, opening, services, watchers
from casemgr.cases import commitments as commitment_services
from casemgr.cases.action_plans import CATALOGUE, PlanStep, send_action_plan
from casemgr.cases.attachments import AttachmentStore, Upload, attachment_store
from casemgr.cases.downloads import attachment_response
from casemgr.cases.forms import (
    SEVERITY_REFUSED,
    CloseForm,
    CommitmentForm,
    ConfirmForm,
    OpenCaseForm,
    OwnerForm,
    ReplyForm,
    SeverityForm,
    StatusForm,
)
from casemgr.cases.queries import get_attachment_for, readable_body, timeline
from casemgr.cases.rules import STATUS_LABELS, status_moves_for_vendor
from casemgr.db import get_session
from casemgr.errors import DomainError, SafetyRefused
from casemgr.forms import form_error, options
from casemgr.queue import macros as macro_services
from casemgr.queue.page import render_queue
from casemgr.registry import registry_of
from casemgr.search.text import case_number
from casemgr.web import actor, case_or_404, form_action, now

bp = Blueprint("cases", __name__, url_prefix="/cases")
bp.add_app_template_filter(readable_body, "readable")


def _store() -> AttachmentStore:
    return attachment_store(current_app.config)


def _uploads(field) -> list[Upload]:
    return [Upload(f.filename or "", f.stream, f.mimetype) for f in (field.data or []) if f and f.filename]


@bp.get("/")
@login_required
def list_cases():
    return render_queue(request.args)  # casemgr.queue.page


@bp.route("/new", methods=["GET", "POST"])
@login_required
def new_case():
    if not can_open_cases(actor().role):
        abort(403)
    session = get_session()
    rows = assets_with_coverage(session, actor(), now().date())
    form = OpenCaseForm()
    form.asset_serial.choices = options(
        [("", "Choose an asset…")]
        + [
            (
                r.asset.serial,
                f"{r.asset.serial} — {r.asset.product.model} — {r.asset.organization.name}, {r.asset.site.name}"
                + ("" if r.covered else " (no active contract)"),
            )
            for r in rows
        ]
    )
    form.component_id.choices = options([("", "Whole system / not sure")]) + [
        choice
        for r in rows
        for choice in options(
            (
                (c.id, f"{c.slot} — {c.part.description} SN {c.serial} ({c.state})")
                for c in r.asset.installed_components
            ),
            optgroup=r.asset.serial,
        )
    ]
    if request.method == "GET" and request.args.get("asset"):
        form.asset_serial.data = request.args["asset"]
    if form.validate_on_submit():

        def opened():
            case = opening.open_case(
                session,
                actor(),
                _store(),
                asset_serial=form.asset_serial.data,
                severity=int(form.severity.data),
                subject=form.subject.data or "",
                description=form.description.data or "",
                now=now(),
                component_id=int(form.component_id.data) if form.component_id.data else None,
                uploads=_uploads(form.attachments),
            )
            return redirect(url_for("cases.acknowledge", number=case.number))

        def refused(exc):
            form.form_errors.append(str(exc))
            return render_template("cases/new.html", form=form, rows=rows)

        return form_action(opened, refused)
    status = 400 if request.method == "POST" else 200
    return render_template("cases/new.html", form=form, rows=rows), status


@bp.get("/<number>/acknowledgement")
@login_required
def acknowledge(number: str):
    case = case_or_404(number)
    return render_template("cases/ack.html", case=case)


def render_case(case, status: int = 200, **forms):
    session = get_session()
    user = actor()
    reply = forms.get("reply") or ReplyForm()
    status_form = forms.get("status_form") or StatusForm(version=case.version)
    status_form.status.choices = options((s, STATUS_LABELS[s]) for s in status_moves_for_vendor(case.status))
    severity_form = forms.get("severity_form") or SeverityForm(version=case.version, severity=str(case.severity))
    close_form = forms.get("close_form") or CloseForm(version=case.version)
    managers = services.account_managers_of(session, case.organization_id)
    close_form.handoff_manager_id.choices = options([("", "—")] + [(m.id, m.name) for m in managers])
    engineers = services.case_workers(session) if policy.can_work_case(user) else []
    commitment_form = forms.get("commitment_form") or CommitmentForm(owner_id=str(user.id))
    commitment_form.owner_id.choices = options((u.id, u.name) for u in engineers)
    return render_template(
        "cases/show.html",
        case=case,
        events=timeline(session, user, case),
        reply=reply,
        status_form=status_form,
        severity_form=severity_form,
        close_form=close_form,
        owner_form=OwnerForm(version=case.version),
        confirm_form=ConfirmForm(version=case.version),
        engineers=engineers,
        can_work=policy.can_work_case(user),
        is_customer=policy.can_reply_as_customer(user, case),
        error=forms.get("error"),
        commitments=commitment_services.commitments_of(session, case),
        commitment_form=commitment_form,
        panels=registry_of().render_case_panels(session, user, case, now()),
        refusals=forms.get("refusals", []),
        plan_catalogue=CATALOGUE,
        plan_rows=forms.get("plan_rows") or [],
        site_tz=case.asset.site.timezone if case.asset else "UTC",
        open_form=next((name for name in forms if name.endswith("_form")), None),
        contacts=watchers.contacts_view(session, user, case),
        watcher_email=forms.get("watcher_email", ""),
        macros=macro_services.macros(session) if user.works_cases else [],
        TIERS=TIERS,
    ), status


@bp.get("/<number>")
@login_required
def show_case(number: str):
    """The case page; ``?macro=<id>`` fills the reply box with that macro for this case."""
    canonical = case_number(number)
    if canonical is not None and canonical != number:  # cs-000123, CS123: to the case's own URL, if visible
        return redirect(url_for("cases.show_case", number=case_or_404(canonical).number))
    case = case_or_404(number)
    macro_id = request.args.get("macro", type=int)
    if macro_id and actor().works_cases:
        try:
            text = macro_services.apply_macro(get_session(), actor(), case, macro_id)
        except DomainError as exc:
            return render_case(case, error=str(exc))
        return render_case(case, reply=ReplyForm(body=text))
    return render_case(case)


def render_refusal(case, exc: DomainError, **forms):
    """The case page after a refused action: the reason (and the safety guard's rules and
    safe alternatives), with the forms as posted. ``form_action`` sets the status."""
    if isinstance(exc, SafetyRefused):
        return render_case(case, error=f"Not sent: {exc}", refusals=getattr(exc, "refusals", []), **forms)
    return render_case(case, error=str(exc), **forms)


def _run(case, action, done_message: str = "Saved.", **forms):
    """Call one service for a form of the case page; back to the case, with a confirmation, when done."""

    def done():
        action()
        flash(done_message, "info")
        return redirect(url_for("cases.show_case", number=case.number))

    return form_action(done, lambda exc: render_refusal(case, exc, **forms))


@bp.post("/<number>/reply")
@login_required
def reply(number: str):
    case = case_or_404(number)
    form = ReplyForm()
    if not form.validate():
        return render_case(case, 400, reply=form, error=form_error(form, "Check the reply form."))
    return _run(
        case,
        lambda: comments.add_comment(
            get_session(),
            actor(),
            _store(),
            case,
            body=form.body.data or "",
            public=form.visibility.data != "internal",
            now=now(),
            uploads=_uploads(form.attachments),
        ),
        "Internal note added." if form.visibility.data == "internal" else "Reply sent.",
        reply=form,
    )


@bp.post("/<number>/status")
@login_required
def change_status(number: str):
    case = case_or_404(number)
    form = StatusForm()
    form.status.choices = options((s, s) for s in STATUS_LABELS)
    if not form.validate():
        return render_case(case, 400, error=form_error(form, "Choose a status."), status_form=form)
    return _run(
        case,
        lambda: services.change_status(
            get_session(),
            actor(),
            case,
            new_status=form.status.data,
            expected_version=form.expected_version(),
            now=now(),
            note=form.note.data or "",
        ),
        f"Status set to {STATUS_LABELS.get(form.status.data, form.status.data)}.",
        status_form=form,
    )


@bp.post("/<number>/severity")
@login_required
def change_severity(number: str):
    case = case_or_404(number)
    form = SeverityForm()
    if not form.validate():
        return render_case(case, 400, error=form_error(form, SEVERITY_REFUSED), severity_form=form)
    return _run(
        case,
        lambda: services.change_severity(
            get_session(),
            actor(),
            case,
            severity=int(form.severity.data),
            expected_version=form.expected_version(),
            now=now(),
            reason=form.reason.data or "",
        ),
        f"Severity changed to {form.severity.data}.",
        severity_form=form,
    )


@bp.post("/<number>/owner")
@login_required
def change_owner(number: str):
    case = case_or_404(number)
    form = OwnerForm()
    if not form.validate():
        return render_case(case, 400, error=form_error(form, "Choose an owner."))
    return _run(
        case,
        lambda: services.assign_owner(
            get_session(),
            actor(),
            case,
            owner_id=int(form.owner_id.data or 0),
            expected_version=form.expected_version(),
            now=now(),
        ),
        "Owner changed.",
    )


@bp.post("/<number>/close")
@login_required
def close(number: str):
    case = case_or_404(number)
    form = CloseForm()
    form.handoff_manager_id.choices = options([(form.handoff_manager_id.data or "", "")])
    if not form.validate():
        return render_case(case, 400, error=form_error(form, "Choose a close reason."), close_form=form)
    manager = int(form.handoff_manager_id.data) if (form.handoff_manager_id.data or "").isdigit() else None
    return _run(
        case,
        lambda: services.close_case(
            get_session(),
            actor(),
            case,
            reason=form.reason.data,
            expected_version=form.expected_version(),
            now=now(),
            handoff_manager_id=manager,
            handoff_path=form.handoff_path.data or "",
        ),
        "Case closed.",
        close_form=form,
    )


@bp.post("/<number>/confirm")
@login_required
def confirm(number: str):
    case = case_or_404(number)
    form = ConfirmForm()
    if not form.validate():
        return render_case(case, 400, error=form_error(form, "The form was incomplete; reload and try again."))
    return _run(
        case,
        lambda: services.confirm_resolution(
            get_session(), actor(), case, expected_version=form.expected_version(), now=now()
        ),
        "Resolution confirmed: the case is closed.",
    )


@bp.post("/<number>/commitments")
@login_required
def add_commitment(number: str):
    case = case_or_404(number)
    form = CommitmentForm()
    form.owner_id.choices = options((u.id, u.name) for u in services.case_workers(get_session()))
    if not form.validate():
        return render_case(case, 400, error=form_error(form, "Check the commitment form."), commitment_form=form)
    due = form.due_instant()  # read in the zone the form states (the viewer's)
    if due is None:
        return render_case(case, 400, error=form_error(form, "Check the commitment form."), commitment_form=form)
    return _run(
        case,
        lambda: commitment_services.record_commitment(
            get_session(),
            actor(),
            case,
            description=form.description.data or "",
            recipient=form.recipient.data or "",
            owner_id=int(form.owner_id.data),
            due_at=due,
            now=now(),
        ),
        "Commitment recorded.",
        commitment_form=form,
    )


@bp.post("/<number>/commitments/<id:commitment_id>/kept")
@login_required
def commitment_kept(number: str, commitment_id: int):
    case = case_or_404(number)
    return _run(
        case,
        lambda: commitment_services.mark_kept(get_session(), actor(), case, commitment_id, now()),
        "Commitment marked kept.",
    )


@bp.post("/<number>/watchers")
@login_required
def add_watcher(number: str):
    """Add a watcher chosen from the list, or named by e-mail address."""
    case = case_or_404(number)
    user_id = request.form.get("user_id", type=int)
    email = (request.form.get("email") or "").strip()[:254]
    return _run(
        case,
        lambda: watchers.add_watcher(
            get_session(), actor(), case, user_id=user_id if not email else None, email=email or None, now=now()
        ),
        "Watcher added.",
        watcher_email=email,
    )


@bp.post("/<number>/watchers/<id:user_id>/remove")
@login_required
def remove_watcher(number: str, user_id: int):
    case = case_or_404(number)
    return _run(
        case,
        lambda: watchers.remove_watcher(get_session(), actor(), case, user_id=user_id, now=now()),
        "Watcher removed.",
    )


@bp.post("/<number>/action-plan")
@login_required
def action_plan(number: str):
    case = case_or_404(number)
    rows = [
        (a, c, n.strip()[:300])
        for a, c, n in zip(
            request.form.getlist("step_action"),
            request.form.getlist("step_component"),
            request.form.getlist("step_note"),
            strict=False,  # a tampered form: drop the unpaired rest
        )
    ]
    steps = [PlanStep(a, c or None, n) for a, c, n in rows if a]
    return _run(
        case, lambda: send_action_plan(get_session(), actor(), case, steps, now()), "Action plan sent.", plan_rows=rows
    )


@bp.get("/<number>/attachments/<id:attachment_id>")
@login_required
def download(number: str, attachment_id: int):
    case = case_or_404(number)
    attachment = get_attachment_for(get_session(), actor(), case, attachment_id)
    if attachment is None:
        abort(404)
    return attachment_response(_store(), attachment)
