"""What users do to their own account: change the password, ask for a reset by e-mail,
set a password from a link (invitation or reset), and log out on the server.

Every change of password raises the user's session generation (casemgr.auth.models),
which ends their other sessions; the edge then logs the current browser in again."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import update
from sqlalchemy.orm import Session

from casemgr.accounts import audit, links, mail
from casemgr.accounts.rules import AccountRuleError, check_password
from casemgr.auth.models import User
from casemgr.auth.services import find_user_by_email
from casemgr.concurrency import detect_conflicts
from casemgr.errors import ConflictError


def request_password_reset(session: Session, email: str, *, now: datetime, channel: str = "web") -> None:
    """E-mail a reset link if ``email`` is an active account's (an invitee's: a new invitation).

    The caller answers the same whatever happens here, so nobody learns which addresses
    have an account."""
    user = find_user_by_email(session, (email or "")[:254])
    if user is None or not user.is_active:
        audit.log.info("password reset asked for %r: no active account, nothing sent", (email or "")[:254])
        return
    purpose = "reset" if user.has_password else "invite"
    token = links.issue_link(session, user, purpose, now, None)
    if purpose == "reset":
        mail.queue_reset(session, user, token, now)
    else:
        mail.queue_invitation(session, user, user.organization, token, None, now)
    audit.record(session, None, user, "password_reset_requested", channel=channel, now=now, anonymous=True)
    session.commit()


@detect_conflicts("account")
def set_password_with_link(session: Session, token: str, password: str, *, now: datetime) -> User:
    """Use an invitation or reset link: the password is checked, set, and the link spent.

    Raises :class:`AccountRuleError` for a weak password (the link stays usable) and
    :class:`ConflictError` for a link that is unknown, used or expired."""
    checked = links.check_link(session, token, now)
    if checked.state != "valid" or checked.link is None:
        raise ConflictError(f"This link is {checked.state if checked.state != 'unknown' else 'not valid'}.")
    user = checked.link.user
    check_password(password, email=user.email, name=user.name)
    if not links.consume(session, checked.link, now):
        session.rollback()
        raise ConflictError("This link has just been used.")
    first = not user.has_password
    user.set_password(password)
    user.session_generation += 1
    kind = "invitation_accepted" if checked.link.purpose == "invite" and first else "password_reset"
    audit.record(session, user, user, kind, channel="web", now=now)
    session.commit()
    return user


@detect_conflicts("account")
def change_password(session: Session, user: User, *, current: str, new: str, now: datetime) -> User:
    """The current password is required; every other session of the user ends."""
    if not user.check_password(current or ""):
        raise AccountRuleError("The current password is wrong.")
    if new == current:
        raise AccountRuleError("The new password must differ from the current one.")
    check_password(new, email=user.email, name=user.name)
    user.set_password(new)
    user.session_generation += 1
    audit.record(session, user, user, "password_changed", channel="web", now=now)
    session.commit()
    return user


def end_sessions(session: Session, user: User, *, now: datetime) -> None:
    """Log out on the server: every session cookie of the user stops working.

    One UPDATE that neither checks nor raises the account's version: logging out never
    conflicts with an administrator's change, nor makes their open page stale."""
    session.execute(
        update(User)
        .where(User.id == user.id)
        .values(session_generation=User.session_generation + 1)
        .execution_options(synchronize_session=False)
    )
    audit.record(session, user, user, "logged_out", channel="web", now=now)
    session.commit()
