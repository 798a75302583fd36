"""The account review PDF: one partner and period, fit for a quarterly business review."""

from __future__ import annotations

from functools import cache

from flask import render_template
from markupsafe import Markup

from reports import charts
from reports.partner import PartnerReport


@cache
def _fonts():
    from weasyprint.text.fonts import FontConfiguration

    return FontConfiguration()


def render_review(report: PartnerReport) -> bytes:
    """HTML through WeasyPrint; the charts are the page's SVGs, inlined; nothing is fetched."""
    from weasyprint import HTML

    svgs = {name: Markup(charts.inline(charts.render(report, name))) for name in charts.CHARTS}
    html = render_template(
        "reports/review_pdf.html", pdf=True, r=report, s=report.summary, charts=svgs, titles=charts.TITLES
    )
    return HTML(string=html).write_pdf(font_config=_fonts())
