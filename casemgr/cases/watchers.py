"""Who hears what: a case's contacts, its watchers, and the one way a case change is told.

A case's contacts are

* on the customer side, its opener (when a customer) and its customer watchers; a case
  with neither (opened by the vendor for them, or by an unknown e-mail sender) falls
  back to the organisation's customer admins, so a vendor change never goes unheard;
* on the vendor side, its owner or, while unowned, the support engineers of the queue
  of its tier (support managers when that queue is empty), and its vendor watchers.

A vendor's customer-visible change (:func:`tell` with ``audience="customer"``) reaches
the customer contacts, the owner and the vendor watchers; a customer's action
(``audience="vendor"``) reaches the vendor contacts and the other customer contacts.
The actor is never told of their own action. Each user's preference per kind decides
whether the e-mail goes now, in the daily digest, or not at all (in-app always at once;
Severity 1 always mails at once: :mod:`casemgr.notifications.preferences`).
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session, joinedload

from casemgr.auth.models import User
from casemgr.auth.roles import CASE_WORKER_ROLES, CUSTOMER_ROLES, Role
from casemgr.cases import timeline
from casemgr.cases.models import Case, CaseWatcher
from casemgr.cases.rules import CaseRuleError
from casemgr.errors import ForbiddenError, NotFoundError
from casemgr.notifications.links import case_link
from casemgr.notifications.services import notify, notify_of_case, one_line
from casemgr.organizations.models import AccountAssignment

log = logging.getLogger(__name__)


# --- contacts ------------------------------------------------------------------


def watchers_of(session: Session, case: Case) -> list[CaseWatcher]:
    """The case's watchers with their users, by name."""
    stmt = (
        select(CaseWatcher)
        .join(User, User.id == CaseWatcher.user_id)
        .where(CaseWatcher.case_id == case.id)
        .options(joinedload(CaseWatcher.user))
        .order_by(User.name, User.id)
    )
    return list(session.scalars(stmt))


def _is_customer_of(user: User, case: Case) -> bool:
    return user.role in CUSTOMER_ROLES and user.organization_id == case.organization_id


def _opener(session: Session, case: Case) -> User | None:
    return session.get(User, case.opened_by_id) if case.opened_by_id else None


def _owner(session: Session, case: Case) -> User | None:
    """Read by id: the relationship may be stale when the owner changed in this session."""
    return session.get(User, case.owner_id) if case.owner_id else None


def customer_contacts(
    session: Session, case: Case, watchers: list[User] | None = None, *, fallback: bool = True
) -> list[User]:
    """The opener (a customer) and the customer watchers; else, with ``fallback``, the
    organisation's active customer admins."""
    watchers = [w.user for w in watchers_of(session, case)] if watchers is None else watchers
    opener = _opener(session, case)
    found = [u for u in [opener, *watchers] if u is not None and u.is_active and _is_customer_of(u, case)]
    if found or not fallback:
        return found
    return list(
        session.scalars(
            select(User)
            .where(
                User.organization_id == case.organization_id,
                User.role == Role.CUSTOMER_ADMIN,
                User.is_active_flag.is_(True),
            )
            .order_by(User.id)
        )
    )


def queue_engineers(session: Session, case: Case) -> list[User]:
    """Who answers an unowned case: the active engineers of its tier's queue, or the
    support managers while that queue has nobody."""
    engineers = list(
        session.scalars(
            select(User)
            .where(User.role == Role.SUPPORT_ENGINEER, User.tier == case.queue, User.is_active_flag.is_(True))
            .order_by(User.id)
        )
    )
    if engineers:
        return engineers
    return list(
        session.scalars(
            select(User).where(User.role == Role.SUPPORT_MANAGER, User.is_active_flag.is_(True)).order_by(User.id)
        )
    )


def vendor_contacts(
    session: Session, case: Case, watchers: list[User] | None = None, *, queue: bool = True
) -> list[User]:
    """The owner or (with ``queue``, while unowned) the queue's engineers, and the vendor watchers."""
    watchers = [w.user for w in watchers_of(session, case)] if watchers is None else watchers
    owner = _owner(session, case)
    side = [owner] if owner is not None else (queue_engineers(session, case) if queue else [])
    return [u for u in [*side, *watchers] if u.is_active and u.role not in CUSTOMER_ROLES]


def audience_of(session: Session, case: Case, actor: User | None, audience: str) -> list[User]:
    """Who hears of a change (see the module's doc), without the actor, each once."""
    watchers = [w.user for w in watchers_of(session, case)]
    if audience == "customer":
        people = customer_contacts(session, case, watchers) + vendor_contacts(session, case, watchers, queue=False)
    elif audience == "vendor":
        people = vendor_contacts(session, case, watchers) + customer_contacts(session, case, watchers, fallback=False)
    else:
        raise ValueError(f"unknown audience {audience!r}")
    seen: set[int] = set()
    out: list[User] = []
    for user in people:
        if user.id in seen or (actor is not None and user.id == actor.id) or not user.is_active:
            continue
        seen.add(user.id)
        out.append(user)
    return out


def site_time(case: Case, when: datetime) -> str:
    """An instant as the case's site reads it, naming the zone: "2026-11-02 04:00 EST (America/New_York)"."""
    zone = case.asset.site.timezone if case.asset is not None else "UTC"
    local = when.astimezone(ZoneInfo(zone))
    return f"{local:%Y-%m-%d %H:%M} {local:%Z} ({zone})"


def tell(
    session: Session,
    case: Case,
    actor: User | None,
    *,
    kind: str,
    what: str,
    body: str,
    now: datetime,
    audience: str = "customer",
) -> int:
    """Notify the case's contacts of one change (in the caller's transaction; rows written
    at its commit). ``what`` is the subject's summary ("We are working on it"); ``body``
    says what happened and who did it. Returns the notification rows written."""
    users = audience_of(session, case, actor, audience)
    if not users:
        return 0
    subject = f"[{case.number}] {one_line(what)}: {one_line(case.subject)}"
    text = f"{body.rstrip()}\n\n{case.number}: {one_line(case.subject)}\nOpen the case: {case_link(case.number)}\n"
    return notify(
        session, users, subject=subject, body=text, now=now, case_id=case.id, severity=case.severity, kind=kind
    )


def who(actor: User | None) -> str:
    return actor.name if actor is not None else "Casemgr"


# --- watchers ------------------------------------------------------------------


def _is_assigned_account_manager(session: Session, user: User, case: Case) -> bool:
    return (
        user.role == Role.ACCOUNT_MANAGER
        and (
            session.scalar(
                select(func.count())
                .select_from(AccountAssignment)
                .where(
                    AccountAssignment.account_manager_id == user.id,
                    AccountAssignment.organization_id == case.organization_id,
                )
            )
            or 0
        )
        > 0
    )


def can_watch(session: Session, user: User, case: Case) -> bool:
    """A watcher must be able to read the case: a user of its organisation, support staff,
    or an account manager assigned to the organisation."""
    if not user.is_active:
        return False
    return (
        _is_customer_of(user, case)
        or user.role in CASE_WORKER_ROLES
        or _is_assigned_account_manager(session, user, case)
    )


def _check_may_manage(actor: User, case: Case, target: User) -> None:
    """Customers manage the watchers of their own organisation, support staff anyone's,
    everybody else (account managers) only themselves."""
    if actor.id == target.id or actor.role in CASE_WORKER_ROLES:
        return
    if _is_customer_of(actor, case):
        if _is_customer_of(target, case):
            return
        raise ForbiddenError("You can add or remove only people of your own organisation.")
    raise ForbiddenError("You can only start or stop watching this case yourself.")


def _find_target(session: Session, actor: User, case: Case, user_id: int | None, email: str | None) -> User:
    """The user named by id or e-mail, among those the actor may name: a customer finds only
    the users of their own organisation (an address elsewhere is "not found", as is none)."""
    stmt = select(User).where(User.is_active_flag.is_(True))
    if user_id is not None:
        stmt = stmt.where(User.id == user_id)
    else:
        stmt = stmt.where(User.email == (email or "").strip().lower())
    if actor.role in CUSTOMER_ROLES:
        stmt = stmt.where(User.organization_id == actor.organization_id)
    target = session.scalar(stmt)
    if target is None:
        scope = " in your organisation" if actor.role in CUSTOMER_ROLES else ""
        named = f" {one_line(email or '')[:254]}" if email else ""
        raise NotFoundError(f"No active user{named}{scope}.")
    return target


def _audit(session: Session, case: Case, actor: User | None, target: User, kind: str, now: datetime, how: str) -> None:
    verb = "added" if kind == "watcher_added" else "removed"
    if actor is None:
        body = f"{target.name} {verb} as a watcher {how}."
    elif actor.id == target.id:
        body = f"{target.name} {'started' if verb == 'added' else 'stopped'} watching the case."
    else:
        body = f"{actor.name} {verb} {target.name} as a watcher."
    timeline.append(
        session,
        case,
        actor,
        kind,
        now,
        # The customer sees who of theirs follows the case; vendor watchers are the vendor's own business.
        public=target.role in CUSTOMER_ROLES,
        body=body,
        data={"user_id": target.id, "user": target.name, "email": target.email},
        channel="watchers",
    )


def add_watcher(
    session: Session,
    actor: User,
    case: Case,
    *,
    now: datetime,
    user_id: int | None = None,
    email: str | None = None,
) -> CaseWatcher:
    """Add someone (by id or e-mail address) as a watcher of ``case``, with an audit entry."""
    if user_id is None and not (email or "").strip():
        raise CaseRuleError("Name the person to add (their e-mail address).")
    try:
        target = _find_target(session, actor, case, user_id, email)
    except NotFoundError as exc:  # a form's or request's field names nobody: re-ask, as any bad field
        raise CaseRuleError(str(exc)) from None
    _check_may_manage(actor, case, target)
    if not can_watch(session, target, case):
        raise CaseRuleError(f"{target.name} cannot read this case, so cannot watch it.")
    if session.scalar(select(CaseWatcher.id).where(CaseWatcher.case_id == case.id, CaseWatcher.user_id == target.id)):
        raise CaseRuleError(f"{target.name} already watches this case.")
    watcher = CaseWatcher(case_id=case.id, user_id=target.id, added_by_id=actor.id, created_at=now)
    session.add(watcher)
    _audit(session, case, actor, target, "watcher_added", now, "")
    if target.id != actor.id:
        notify_of_case(
            session,
            target,
            case,
            subject=f"[{case.number}] {one_line(actor.name)} added you as a watcher: {one_line(case.subject)}",
            body=f"{actor.name} added you as a watcher of {case.number}: you will hear of its replies and"
            f" changes.\n\nOpen the case: {case_link(case.number)}\n",
            now=now,
            kind="watching",
        )
    session.commit()
    log.info("%s added watcher %s to %s", actor.email, target.email, case.number)
    return watcher


def remove_watcher(
    session: Session, actor: User, case: Case, *, now: datetime, user_id: int | None = None, email: str | None = None
) -> None:
    """Remove a watcher (by id or e-mail address), with an audit entry."""
    target = _find_target(session, actor, case, user_id, email)
    _check_may_manage(actor, case, target)
    result = session.execute(
        delete(CaseWatcher).where(CaseWatcher.case_id == case.id, CaseWatcher.user_id == target.id)
    )
    if not getattr(result, "rowcount", 0):
        raise NotFoundError(f"{target.name} does not watch this case.")
    _audit(session, case, actor, target, "watcher_removed", now, "")
    session.commit()
    log.info("%s removed watcher %s from %s", actor.email, target.email, case.number)


def add_watchers_by_email(session: Session, case: Case, addresses: Iterable[str], now: datetime) -> list[User]:
    """The known users among ``addresses`` (e.g. the ``Cc:`` of an inbound e-mail) who may
    read the case and do not watch it yet become watchers, each with an audit entry.

    Unknown addresses and people who cannot read the case are left out silently (a Cc: is
    no request). Runs in the caller's transaction: the caller commits (the inbound mail
    files its message and its watchers together). Returns the users added."""
    wanted = sorted({a.strip().lower() for a in addresses if a and "@" in a})
    if not wanted:
        return []
    users = list(
        session.scalars(select(User).where(User.email.in_(wanted), User.is_active_flag.is_(True)).order_by(User.id))
    )
    already = set(session.scalars(select(CaseWatcher.user_id).where(CaseWatcher.case_id == case.id)))
    added: list[User] = []
    for user in users:
        if user.id in already or user.id in (case.opened_by_id, case.owner_id) or not can_watch(session, user, case):
            continue
        session.add(CaseWatcher(case_id=case.id, user_id=user.id, added_by_id=None, created_at=now))
        _audit(session, case, None, user, "watcher_added", now, "from the Cc: of an e-mail")
        added.append(user)
        log.info("watcher %s added to %s from an e-mail's Cc:", user.email, case.number)
    session.flush()
    return added


def watch_candidates(session: Session, actor: User, case: Case) -> list[User]:
    """Whom ``actor`` may add on the case page: the organisation's users (customers), or
    those and the support staff (support staff); account managers only themselves."""
    current = set(session.scalars(select(CaseWatcher.user_id).where(CaseWatcher.case_id == case.id)))
    if actor.role in CUSTOMER_ROLES:
        stmt = select(User).where(User.organization_id == case.organization_id, User.role.in_(sorted(CUSTOMER_ROLES)))
    elif actor.role in CASE_WORKER_ROLES:
        stmt = select(User).where(
            (User.organization_id == case.organization_id) & User.role.in_(sorted(CUSTOMER_ROLES))
            | User.role.in_(sorted(CASE_WORKER_ROLES))
        )
    else:
        stmt = select(User).where(User.id == actor.id)
    users = session.scalars(stmt.where(User.is_active_flag.is_(True)).order_by(User.name, User.id))
    return [
        u
        for u in users
        if u.id not in current
        and (u.id == actor.id or u.role != Role.ACCOUNT_MANAGER)
        and (u.id != actor.id or can_watch(session, actor, case))  # a field engineer reads, does not watch
    ]


@dataclass(frozen=True)
class ContactsView:
    """The case page's "Contacts" card, as ``viewer`` may see it."""

    opener: User | None
    #: (watcher, whether the viewer may remove it); customers see their own organisation's only.
    watchers: list[tuple[CaseWatcher, bool]]
    #: Who answers for the vendor: the owner's name, or the queue while unowned.
    vendor_side: str
    candidates: list[User]
    watching: bool


def contacts_view(session: Session, viewer: User, case: Case) -> ContactsView:
    found = watchers_of(session, case)
    customer = viewer.role in CUSTOMER_ROLES
    shown = [w for w in found if not customer or w.user.role in CUSTOMER_ROLES]
    rows = []
    for w in shown:
        try:
            _check_may_manage(viewer, case, w.user)
            rows.append((w, True))
        except ForbiddenError:
            rows.append((w, False))
    owner = _owner(session, case)
    vendor_side = owner.name if owner is not None else f"the {case.queue} support queue (unassigned)"
    opener = _opener(session, case)
    return ContactsView(
        opener=opener,
        watchers=rows,
        vendor_side=vendor_side,
        candidates=[u for u in watch_candidates(session, viewer, case) if opener is None or u.id != opener.id],
        watching=any(w.user_id == viewer.id for w in found),
    )
