"""The account review PDF: one partner and period, fit for a quarterly business review."""

from __future__ import annotations

from flask import render_template
from markupsafe import Markup

from casemgr.pdf import render_pdf
from reports import charts
from reports.partner import PartnerReport


def render_review(report: PartnerReport) -> bytes:
    """HTML through WeasyPrint; the charts are the page's SVGs, inlined; nothing is fetched."""
    svgs = {name: Markup(charts.inline(charts.render(report, name))) for name in charts.CHARTS}
    html = render_template(
        "reports/review_pdf.html", pdf=True, r=report, s=report.summary, charts=svgs, titles=charts.TITLES
    )
    return render_pdf(html)
