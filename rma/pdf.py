"""The RMA's paperwork as PDF (WeasyPrint): authorisation with packing slip and return
instructions, and the keep-your-drive retention certificate.

Rendered by casemgr.pdf (shared fonts, nothing fetched); the layouts are Jinja
templates under templates/rma/pdf/.
"""

from __future__ import annotations

from datetime import datetime

from flask import render_template

from casemgr.pdf import render_pdf
from rma import rules
from rma.models import Rma

#: Where defective parts go back to (printed on the return instructions).
RETURNS_CENTER = ("Casemgr Returns Center", "RMA Receiving, Dock 3", "4400 Logistics Pkwy", "Memphis, TN 38118, USA")


def _render(html: str) -> bytes:
    return render_pdf(html)


def return_instructions(rma: Rma) -> list[str]:
    """What the customer does with the defective part, in the order they do it."""
    failed = rma.failed_component
    if rma.disposition == "retained":
        return [
            f"Keep the defective {failed.part.kind} (SN {failed.serial}): your plan includes keep-your-drive.",
            "Do not ship it back. A retention certificate is issued for your records.",
            "Destroy or store it according to your own data-handling policy.",
        ]
    steps = [
        f"Remove the defective {failed.part.kind} (SN {failed.serial}) from {failed.slot} only as instructed.",
        "Pack it in the anti-static bag and box the replacement arrived in.",
        f"Write {rma.number} on the outside of the box and enclose this packing slip.",
        "Ship it to the returns center below with the prepaid label; keep the tracking number.",
    ]
    if rma.disposition == "certified_destruction":
        steps.append("The part holds your data: on receipt it is destroyed and a destruction certificate is sent.")
    if rma.kind == "return_and_replace":
        steps.insert(0, "Your replacement ships as soon as we receive the defective part.")
    elif rma.return_due_at is not None:
        steps.append(f"Please ship it by {rma.return_due_at:%Y-%m-%d}.")
    return steps


def authorization_pdf(rma: Rma, now: datetime) -> bytes:
    return _render(
        render_template(
            "rma/pdf/authorization.html",
            rma=rma,
            now=now,
            rules=rules,
            returns_center=RETURNS_CENTER,
            instructions=return_instructions(rma),
        )
    )


def retention_certificate_pdf(rma: Rma, now: datetime) -> bytes:
    return _render(render_template("rma/pdf/retention.html", rma=rma, now=now))
