"""Replies and notes on a case's timeline: public replies, internal notes, automatic messages.

Separate from status, severity and owner changes (``casemgr.cases.services``): a reply has its own
rules (the customer's reply resumes a paused case, the vendor's is the first response). Each
function commits once."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy.orm import Session

from casemgr import events
from casemgr.auth import policy
from casemgr.auth.models import User
from casemgr.cases import rules, timeline
from casemgr.cases.attachments import AttachmentStore, Upload
from casemgr.cases.models import Case, CaseEvent
from casemgr.cases.rules import CaseRuleError
from casemgr.cases.services import _attach, _set_status
from casemgr.cases.watchers import tell
from casemgr.concurrency import detect_conflicts
from casemgr.errors import ForbiddenError


@detect_conflicts("case")
def add_comment(
    session: Session,
    actor: User,
    store: AttachmentStore,
    case: Case,
    *,
    body: str,
    public: bool,
    now: datetime,
    uploads: Sequence[Upload] = (),
    channel: str = "public_reply",
) -> CaseEvent:
    """A public reply or an internal note; a customer's reply resumes a paused case.

    A vendor's public reply telling the customer to put a failed part back is
    refused by the safety guard (:class:`casemgr.safety.services.SafetyBlocked`).
    """
    is_customer = policy.can_reply_as_customer(actor, case)
    if not is_customer and not policy.can_work_case(actor):
        raise ForbiddenError("You can read this case but not reply to it.")
    if case.status == "closed":
        raise CaseRuleError("This case is closed. Open a new case and mention this one.")
    if is_customer:
        public = True
    body = rules.check_text("Reply", body, rules.MAX_BODY, required=not uploads)
    event = timeline.append(
        session,
        case,
        actor,
        "comment",
        now,
        public=public,
        body=body,
        channel=channel,
        data={"from": "customer" if is_customer else "vendor"},
        flag_internal=True,
    )
    _attach(session, store, case, event, actor, uploads, now)
    case.updated_at = now
    if is_customer:
        resumed = rules.status_after_customer_reply(case.status)
        if resumed:  # the reply itself is the news: no separate status notice
            _set_status(session, case, actor, resumed, now, note="customer replied", announce=False)
    if public and not is_customer:
        # The vendor's first public reply is the first response; each one restarts next-update.
        if case.first_response_at is None:
            case.first_response_at = now
        elif case.next_update_due_at is not None and now > case.next_update_due_at:
            case.next_update_breaches += 1  # a late update is recorded, never hidden
        case.last_vendor_update_at = now
    if public:
        events.publish(session, events.PublicReplyAdded(case.id, by_vendor=not is_customer, at=now))
        files = f"\n\n({len(uploads)} file{'s' if len(uploads) != 1 else ''} attached)" if uploads else ""
        side = f" ({case.organization.name})" if is_customer else ""
        tell(
            session,
            case,
            actor,
            kind="reply",
            what=f"{actor.name}{side} replied",
            body=f"{actor.name}{side} replied on {case.number}:\n\n{body}{files}",
            now=now,
            audience="vendor" if is_customer else "customer",
        )
    session.commit()
    return event


def note_automatic_message(
    session: Session, case: Case, *, sender: str, reason: str, body: str, now: datetime
) -> CaseEvent:
    """An auto-reply or bounce about a case: kept for staff, never treated as the customer's answer."""
    event = timeline.append(
        session,
        case,
        None,
        "auto_message",
        now,
        public=False,
        body=f"Automatic message from {sender} ({reason}), not answered:\n\n{body[:5000]}",
        data={"sender": sender, "reason": reason},
    )
    session.commit()
    return event
