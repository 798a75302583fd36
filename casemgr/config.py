"""Configuration from the environment, read when the app is created (never at import)."""

from __future__ import annotations

import os
import secrets
from pathlib import Path
from typing import Any

from casemgr.clock import FileClock

DEFAULT_MAX_UPLOAD_MB = 25


def load_config(instance_path: Path, environ: dict[str, str] | None = None) -> dict[str, Any]:
    env = os.environ if environ is None else environ
    instance_path.mkdir(parents=True, exist_ok=True)
    database_url = env.get("DATABASE_URL") or f"sqlite:///{instance_path / 'casemgr.sqlite3'}"
    max_mb = int(env.get("CASEMGR_MAX_UPLOAD_MB", DEFAULT_MAX_UPLOAD_MB))
    return {
        "DATABASE_URL": database_url,
        #: Test pooled connections at checkout, so a database restart costs no request a 503.
        "DB_PRE_PING": env.get("CASEMGR_DB_PRE_PING", "1") == "1",
        "SECRET_KEY": env.get("SECRET_KEY") or _instance_secret(instance_path),
        "ATTACHMENT_DIR": env.get("CASEMGR_ATTACHMENT_DIR") or str(instance_path / "attachments"),
        #: s3://bucket/prefix: attachments in an S3-compatible bucket shared by every host instead
        #: of ATTACHMENT_DIR (credentials and region from boto3's own chain, never from here).
        "ATTACHMENT_URL": env.get("CASEMGR_ATTACHMENT_URL", ""),
        "S3_ENDPOINT_URL": env.get("CASEMGR_S3_ENDPOINT_URL") or env.get("AWS_ENDPOINT_URL", ""),
        "MAX_CONTENT_LENGTH": max_mb * 1024 * 1024,
        "MAX_UPLOAD_MB": max_mb,
        "SESSION_COOKIE_HTTPONLY": True,
        "SESSION_COOKIE_SAMESITE": "Lax",
        "SESSION_COOKIE_SECURE": env.get("CASEMGR_SECURE_COOKIES", "0") == "1",
        "WTF_CSRF_TIME_LIMIT": None,
        "RATELIMIT_STORAGE_URI": env.get("CASEMGR_RATELIMIT_STORAGE", "memory://"),
        "RATELIMIT_ENABLED": True,
        # Login attempts per client address (everyone behind one proxy shares it) and per account.
        "LOGIN_RATE_LIMIT": env.get("CASEMGR_LOGIN_RATE_LIMIT", "30 per minute"),
        #: Per API token (or per address without one), over all API routes.
        "API_RATE_LIMIT": env.get("CASEMGR_API_RATE_LIMIT", "3000 per minute"),
        "LOGIN_ACCOUNT_RATE_LIMIT": env.get("CASEMGR_LOGIN_ACCOUNT_RATE_LIMIT", "10 per 15 minutes"),
        "RATELIMIT_HEADERS_ENABLED": True,  # a 429 says when to try again (Retry-After)
        "PAGE_SIZE": 50,
        "LOG_LEVEL": env.get("CASEMGR_LOG_LEVEL", "INFO"),
        #: json (one object per line), text, or auto: json unless standard error is a terminal.
        "LOG_FORMAT": env.get("CASEMGR_LOG_FORMAT", "auto"),
        #: GET /metrics with ``Authorization: Bearer <this>`` from anywhere (casemgr.metrics.access).
        "METRICS_TOKEN": env.get("CASEMGR_METRICS_TOKEN", ""),
        #: Addresses that may read /metrics without the token, when not proxied; "none" for none.
        "METRICS_ALLOWED_NETWORKS": env.get("CASEMGR_METRICS_ALLOWED_NETWORKS", "127.0.0.1/32,::1/128"),
        "SMTP_URL": env.get("SMTP_URL", ""),
        # Networks webhooks may be sent to besides public addresses (CIDRs, comma-separated).
        "WEBHOOK_ALLOWED_NETWORKS": env.get("CASEMGR_WEBHOOK_ALLOWED_NETWORKS", ""),
        "MAIL_FROM": env.get("CASEMGR_MAIL_FROM", "Casemgr Support <support@casemgr.invalid>"),
        "MAILDIR": env.get("CASEMGR_MAILDIR") or str(instance_path / "mail"),
        #: Where replies go: plus-addressed per case (support+cs-000123.<signature>@...); unset, no Reply-To.
        "MAIL_REPLY_TO": env.get("CASEMGR_MAIL_REPLY_TO", ""),
        #: The address people reach the app at; e-mails link to their case under it.
        "BASE_URL": env.get("CASEMGR_BASE_URL", "http://127.0.0.1:5000/"),
        #: A customer may request escalation of one case at most once per this many minutes.
        "ESCALATION_REQUEST_INTERVAL_MINUTES": int(env.get("CASEMGR_ESCALATION_REQUEST_INTERVAL", "60")),
        #: TEST ONLY (rehearsals of several processes): the clock reads its instant from this file.
        "CLOCK": FileClock(Path(env["CASEMGR_TEST_CLOCK_FILE"])) if env.get("CASEMGR_TEST_CLOCK_FILE") else None,
        "SCHEDULER_TICK_SECONDS": int(env.get("CASEMGR_TICK_SECONDS", "30")),
        #: authserv-ids of our own MTAs whose Authentication-Results are believed (comma-separated).
        "MAIL_TRUSTED_AUTHSERV": _words(env.get("CASEMGR_MAIL_TRUSTED_AUTHSERV", "")),
        #: Where inbound messages that cannot be read are kept whole.
        "MAIL_DEAD_LETTER_DIR": env.get("CASEMGR_MAIL_DEAD_LETTER_DIR") or str(instance_path / "mail-dead-letter"),
        #: At most one acknowledgement per sender per this many minutes (auto-reply damping).
        "MAIL_ACK_INTERVAL_MINUTES": int(env.get("CASEMGR_MAIL_ACK_INTERVAL", "60")),
        #: ``casemgr mail fetch``: imaps://user:pass@host:993/INBOX (or imap:// on a trusted network).
        "IMAP_URL": env.get("CASEMGR_IMAP_URL", ""),
        "IMAP_INTERVAL_SECONDS": int(env.get("CASEMGR_IMAP_INTERVAL", "60")),
        #: A folder filed messages are moved to; empty: they stay, flagged seen and $CasemgrFiled.
        "IMAP_DONE_FOLDER": env.get("CASEMGR_IMAP_DONE_FOLDER", ""),
    }


def _words(value: str) -> tuple[str, ...]:
    return tuple(w.strip().lower() for w in value.split(",") if w.strip())


def _instance_secret(instance_path: Path) -> str:
    """Generate the secret key once and keep it in the instance folder."""
    key_file = instance_path / "secret_key"
    if key_file.exists():
        return key_file.read_text().strip()
    key = secrets.token_hex(32)
    key_file.write_text(key)
    key_file.chmod(0o600)
    return key
