"""The e-mails of account administration, queued in the outbox with the caller's
transaction (delivered after commit, retried until sent, like every notification)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.orm import Session

from casemgr.accounts.links import set_password_url
from casemgr.accounts.rules import INVITE_VALID_FOR, RESET_VALID_FOR
from casemgr.auth.models import User
from casemgr.notifications.links import link
from casemgr.notifications.services import one_line, queue_email
from casemgr.organizations.models import Organization


def _until(expires_at: datetime, hours: float) -> str:
    return f"{int(hours)} hours, until {expires_at.strftime('%Y-%m-%d %H:%M UTC')}"


def queue_invitation(
    session: Session, user: User, org: Organization, token: str, inviter: User | None, now: datetime
) -> None:
    by = one_line(inviter.name) if inviter is not None else "An administrator"
    hours = INVITE_VALID_FOR.total_seconds() / 3600
    queue_email(
        session,
        to=user.email,
        subject=f"{by} invited you to Casemgr ({one_line(org.name)})",
        body=(
            f"Hello {user.name},\n\n{by} invited you to Casemgr, the support portal, as a member of {org.name}.\n\n"
            f"Choose your password here (the link works once, for {_until(now + INVITE_VALID_FOR, hours)}):\n"
            f"{set_password_url(token)}\n\n"
            f"Your login is {user.email}. If the link has expired, ask for a new one at {link('/account/forgot')}.\n"
        ),
        now=now,
    )


def queue_reset(session: Session, user: User, token: str, now: datetime, asked_by: User | None = None) -> None:
    hours = RESET_VALID_FOR.total_seconds() / 3600
    why = (
        f"{asked_by.name} (an administrator) sent you this link."
        if asked_by is not None and asked_by.id != user.id
        else "Someone (probably you) asked to reset the password of this account."
    )
    queue_email(
        session,
        to=user.email,
        subject="Reset your Casemgr password",
        body=(
            f"Hello {user.name},\n\n{why}\n\n"
            f"Choose a new password here (the link works once, for {_until(now + RESET_VALID_FOR, hours)}):\n"
            f"{set_password_url(token)}\n\n"
            "If you did not ask for it, ignore this e-mail: your password stays as it is.\n"
        ),
        now=now,
    )
