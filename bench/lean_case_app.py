"""A reference for bench/api_bench.py: the statements Casemgr sends to open a case
(bench/profile_case_create.py --sql lists them), written by hand with SQLAlchemy
``text()`` in one bare Flask view -- no schema validation, no ORM, no SLA
arithmetic, no events, a fixed acknowledgement.

It is not a second implementation: it answers what this machine costs for the
database work alone, so that the gap between it and Casemgr is the cost of the
application's own code. Runs on the demo database (PostgreSQL or SQLite).
"""

import hashlib
import json
import os
from datetime import UTC, datetime, timedelta

from flask import Flask, request
from sqlalchemy import create_engine, text

url = os.environ["DATABASE_URL"].replace("postgresql://", "postgresql+psycopg://")
sqlite = url.startswith("sqlite")
engine = create_engine(url, connect_args={"timeout": 30} if sqlite else {})
app = Flask(__name__)
TRUE, FALSE, DATA = ("1", "0", ":data") if sqlite else ("true", "false", "CAST(:data AS JSONB)")
TOKEN = text(
    'SELECT t.id, u.id, u.organization_id, t.revoked_at FROM api_token t JOIN "user" u ON u.id = t.user_id'
    " WHERE t.token_hash = :digest"
)
ASSET = text(
    "SELECT a.id, a.organization_id, c.id, c.plan_id FROM asset a"
    " LEFT JOIN contract_asset ca ON ca.asset_id = a.id LEFT JOIN contract c ON c.id = ca.contract_id"
    " WHERE a.serial = :serial AND a.organization_id = :org"
)
NUMBER = text("UPDATE counter SET value = value + 1 WHERE name = 'case' RETURNING value")
CASE = text(
    "INSERT INTO support_case (number, organization_id, asset_id, contract_id, entitled, severity, status,"
    " subject, description, channel, opened_by_id, queue, escalation_level, first_response_breached,"
    " next_update_breaches, resolution_breached, first_response_due_at, resolution_due_at, created_at,"
    f" updated_at, version) VALUES (:number, :org, :asset, :contract, {TRUE}, :severity, 'new', :subject,"
    f" :description, 'api', :user, 'L1', 0, {FALSE}, 0, {FALSE}, :due, :due, :now, :now, 1) RETURNING id"
)
EVENT = text(
    "INSERT INTO case_event (case_id, organization_id, kind, actor_id, public, body, data, created_at)"
    f" VALUES (:case_id, :org, 'opened', :user, {TRUE}, :description, {DATA}, :now)"
)
NOTIFY = text(
    "INSERT INTO notification (user_id, email, channel, case_id, severity, subject, body, status, attempts,"
    " next_attempt_at, created_at) VALUES (:user, NULL, 'in_app', :case_id, :severity, :subject, :body,"
    " 'sent', 0, :now, :now), (:user, 'ack@example.com', 'email', :case_id, :severity, :subject, :body,"
    " 'pending', 0, :now, :now)"
)
SCHEDULE = text("INSERT INTO escalation_schedule (case_id, next_check_at, updated_at) VALUES (:case_id, :due, :now)")
# Casemgr writes these three at its commit, on PostgreSQL as one statement (casemgr.bulk.insert_at_commit).
AT_COMMIT = [] if sqlite else [text(f"WITH e AS ({EVENT.text}), n AS ({NOTIFY.text}) {SCHEDULE.text}")]


@app.post("/api/v1/cases")
def open_case():
    body = request.get_json()
    digest = hashlib.sha256(request.headers["Authorization"].partition(" ")[2].encode()).hexdigest()
    now = datetime.now(UTC)
    stamp = now.replace(tzinfo=None) if sqlite else now  # Casemgr stores naive UTC on SQLite
    due = stamp + timedelta(hours=4)
    with engine.begin() as conn:
        token = conn.execute(TOKEN, {"digest": digest}).one()
        asset = conn.execute(ASSET, {"serial": body["asset_serial"], "org": token[2]}).first()
        values = {
            "org": asset[1],
            "asset": asset[0],
            "contract": asset[2],
            "severity": body["severity"],
            "subject": body["subject"],
            "description": body["description"],
            "user": token[1],
            "due": due,
            "now": stamp,
        }
        number = f"CS-{conn.execute(NUMBER).scalar_one():06d}"
        case_id = conn.execute(CASE, {"number": number, **values}).scalar_one()
        params = {
            "case_id": case_id,
            "org": values["org"],
            "user": token[1],
            "description": body["description"],
            "data": json.dumps({"severity": body["severity"]}),
            "now": stamp,
            "severity": body["severity"],
            "subject": f"Received {number}",
            "body": "We have received your case.",
            "due": due,
        }
        for statement in AT_COMMIT or [EVENT, NOTIFY, SCHEDULE]:
            conn.execute(statement, params)
    return {"number": number, "status": "new", "severity": body["severity"]}, 201
