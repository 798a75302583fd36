"""Monitoring call-home: Prometheus Alertmanager webhooks (version 4) and a simple
JSON form become cases, one per alert fingerprint; unknown serials go to triage."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from casemgr.assets.models import Asset
from casemgr.auth.models import User
from casemgr.cases import opening, timeline
from casemgr.cases.attachments import AttachmentStore
from casemgr.cases.models import Case
from casemgr.channels.models import AlertLink

SERIAL_LABELS = ("serial", "asset_serial", "serial_number")
SEVERITY_LABELS = {
    "critical": 1,
    "page": 1,
    "error": 2,
    "high": 2,
    "major": 2,
    "warning": 3,
    "minor": 3,
    "info": 4,
    "low": 4,
}


@dataclass(frozen=True)
class Alert:
    fingerprint: str
    status: str  # firing | resolved
    serial: str | None
    severity: int
    summary: str
    description: str


def alerts_from_payload(payload: dict) -> list[Alert]:
    """Alertmanager v4 (``alerts`` list) or the simple form (one object with ``serial``)."""
    if "alerts" in payload:
        return [
            _alert(
                a.get("labels") or {},
                a.get("annotations") or {},
                a.get("status") or payload.get("status"),
                a.get("fingerprint"),
            )
            for a in payload["alerts"]
        ]
    labels = {
        "serial": payload.get("serial"),
        "severity": str(payload.get("severity", "")),
        "alertname": payload.get("summary", ""),
    }
    return [
        _alert(
            labels,
            {"summary": payload.get("summary"), "description": payload.get("description")},
            payload.get("status", "firing"),
            payload.get("fingerprint"),
        )
    ]


def _alert(labels: dict, annotations: dict, status: str | None, fingerprint: str | None) -> Alert:
    serial = next((str(labels[k]).strip().upper() for k in SERIAL_LABELS if labels.get(k)), None)
    raw_severity = str(labels.get("severity", "")).strip().lower()
    severity = int(raw_severity) if raw_severity in ("1", "2", "3", "4") else SEVERITY_LABELS.get(raw_severity, 3)
    if not fingerprint:  # Alertmanager always sends one; the simple form may not
        identity = "|".join(f"{k}={labels[k]}" for k in sorted(labels) if labels[k])
        fingerprint = hashlib.sha256(identity.encode()).hexdigest()[:32]
    summary = str(annotations.get("summary") or labels.get("alertname") or "Monitoring alert")[:200]
    return Alert(
        fingerprint=str(fingerprint)[:128],
        status="resolved" if status == "resolved" else "firing",
        serial=serial,
        severity=severity,
        summary=summary,
        description=str(annotations.get("description") or summary)[:20000],
    )


@dataclass(frozen=True)
class AlertOutcome:
    fingerprint: str
    case_number: str
    action: str  # opened, updated, resolved, triage


def receive(
    session: Session, actor: User, alerts: list[Alert], store: AttachmentStore, now: datetime
) -> list[AlertOutcome]:
    return [_receive_one(session, actor, alert, store, now) for alert in alerts]


def _receive_one(session: Session, actor: User, alert: Alert, store: AttachmentStore, now: datetime) -> AlertOutcome:
    link = session.scalar(
        select(AlertLink).where(
            AlertLink.organization_id == actor.organization_id, AlertLink.fingerprint == alert.fingerprint
        )
    )
    if link is not None:
        case = session.get_one(Case, link.case_id)  # a foreign key: it is there
        link.deliveries += 1
        link.last_seen_at = now
        if alert.status == link.status:
            session.commit()  # a repeated delivery: counted, nothing else
            return AlertOutcome(alert.fingerprint, case.number, "updated")
        link.status = alert.status
        # the monitoring account of the organisation speaks for its own system
        timeline.append(
            session,
            case,
            actor,
            "alert",
            now,
            public=True,
            body=_note(alert),
            data={"fingerprint": alert.fingerprint, "status": alert.status},
        )
        session.commit()
        return AlertOutcome(alert.fingerprint, case.number, "resolved" if alert.status == "resolved" else "updated")
    case = _open(session, actor, alert, store, now)  # even "resolved" on first sight is recorded, never dropped
    session.add(
        AlertLink(
            organization_id=actor.organization_id,
            fingerprint=alert.fingerprint,
            case_id=case.id,
            status=alert.status,
            last_seen_at=now,
        )
    )
    try:
        session.commit()
    except IntegrityError:  # a concurrent delivery of the same alert won: use its case
        session.rollback()
        return _receive_one(session, actor, alert, store, now)
    return AlertOutcome(alert.fingerprint, case.number, "opened" if case.asset_id else "triage")


def _note(alert: Alert) -> str:
    if alert.status == "resolved":
        return (
            f"Monitoring reports the alert resolved: {alert.summary}. If the problem is fixed, the case can be "
            "resolved; reply if it is not."
        )
    return f"Monitoring reports the alert firing again: {alert.summary}."


def _open(session: Session, actor: User, alert: Alert, store: AttachmentStore, now: datetime) -> Case:
    asset = None
    if alert.serial:
        asset = session.scalar(
            select(Asset).where(Asset.serial == alert.serial, Asset.organization_id == actor.organization_id)
        )
    subject = f"[Monitoring] {alert.summary}"
    description = f"{alert.description}\n\n(alert fingerprint {alert.fingerprint}, status {alert.status})"
    if asset is not None:
        return opening.open_case(
            session,
            actor,
            store,
            asset_serial=asset.serial,
            severity=alert.severity,
            subject=subject,
            description=description,
            now=now,
            channel="monitoring",
        )
    return opening.open_triage_case(
        session,
        organization_id=actor.organization_id,
        opened_by=actor,
        severity=alert.severity,
        subject=subject,
        description=f"Unknown serial {alert.serial or '(none)'}.\n\n{description}",
        now=now,
        channel="monitoring",
        requester=actor.email,
    )
