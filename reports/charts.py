"""Server-side SVG charts (matplotlib, object API: no pyplot global state, thread-safe).

Text stays text (``svg.fonttype = none``): the browser draws it crisply, and in
the PDF it is real, extractable text. Every chart takes a
:class:`reports.partner.PartnerReport` and nothing else, so the page and the
PDF draw the same figures.
"""

from __future__ import annotations

import io
import re
from typing import Any

import matplotlib

matplotlib.use("svg")  # never a GUI backend on a server

from matplotlib import rc_context  # noqa: E402
from matplotlib.axis import Axis  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402
from matplotlib.ticker import MaxNLocator  # noqa: E402
from matplotlib.typing import RcKeyType  # noqa: E402

from reports import rules  # noqa: E402
from reports.partner import PartnerReport  # noqa: E402

SEVERITY_COLOURS = {1: "#b42318", 2: "#dc6803", 3: "#1570ef", 4: "#98a2b3"}
INK, GRID, ACCENT, ACCENT2 = "#1d2939", "#e4e7ec", "#1570ef", "#12b76a"
STYLE: dict[RcKeyType, Any] = {
    "svg.fonttype": "none",
    "svg.hashsalt": "casemgr",  # stable ids: the same figures give the same bytes
    "font.family": "DejaVu Sans",
    "font.size": 10,
    "axes.edgecolor": GRID,
    "axes.labelcolor": INK,
    "xtick.color": INK,
    "ytick.color": INK,
    "axes.spines.top": False,
    "axes.spines.right": False,
}
CHARTS = ("cases", "sla", "rma", "assets")
TITLES = {
    "cases": "Cases opened and resolved per week, by severity",
    "sla": "SLA attainment per month",
    "rma": "RMA turnaround, request to installed",
    "assets": "Top assets by case count",
}


def render(report: PartnerReport, name: str) -> str:
    """The SVG document of one chart."""
    draw = {"cases": _cases, "sla": _sla, "rma": _rma, "assets": _assets}[name]
    with rc_context(STYLE):
        fig = Figure(figsize=(6.4, 3.0), layout="constrained")
        draw(fig, report)
        buf = io.StringIO()
        fig.savefig(buf, format="svg", metadata={"Date": None, "Creator": None})
    return buf.getvalue()


def inline(svg: str) -> str:
    """The SVG element alone (no XML prolog or DOCTYPE), scaled to its container, for the PDF."""
    svg = svg[svg.index("<svg") :]
    return re.sub(r'<svg([^>]*?) width="[^"]+" height="[^"]+"', r'<svg\1 width="100%"', svg, count=1)


def _integer_ticks(axis: Axis) -> None:
    """Whole numbers only on a count axis (its default locator, an AutoLocator, is a MaxNLocator)."""
    locator = axis.get_major_locator()
    if isinstance(locator, MaxNLocator):
        locator.set_params(integer=True)


def _empty(ax, message: str) -> None:
    ax.text(0.5, 0.5, message, ha="center", va="center", transform=ax.transAxes, color="#667085")
    ax.set_xticks([])
    ax.set_yticks([])


def _cases(fig: Figure, report: PartnerReport) -> None:
    opened_ax, resolved_ax = fig.subplots(1, 2, sharey=True)
    weeks = list(report.opened_by_week)
    labels = [f"{w:%d %b}" for w in weeks]
    step = max(len(weeks) // 7, 1)
    for ax, data, title in (
        (opened_ax, report.opened_by_week, "Opened"),
        (resolved_ax, report.resolved_by_week, "Resolved"),
    ):
        bottom = [0] * len(weeks)
        for sev in (1, 2, 3, 4):
            values = [data[w][sev] for w in weeks]
            ax.bar(range(len(weeks)), values, bottom=bottom, color=SEVERITY_COLOURS[sev], label=f"S{sev}", width=0.8)
            bottom = [b + v for b, v in zip(bottom, values, strict=True)]
        ax.set_title(f"{title} ({sum(bottom)})", fontsize=10, color=INK)
        ax.set_xticks(range(0, len(weeks), step), labels[::step], rotation=45, ha="right", fontsize=8)
        _integer_ticks(ax.yaxis)
        ax.grid(axis="y", color=GRID)
        ax.set_axisbelow(True)
    handles, names = opened_ax.get_legend_handles_labels()
    fig.legend(handles, names, loc="outside lower center", fontsize=8, frameon=False, ncols=4)


def _sla(fig: Figure, report: PartnerReport) -> None:
    ax = fig.subplots()
    months = list(report.sla_by_month)
    if not any(b[1] or b[3] for b in report.sla_by_month.values()):
        return _empty(ax, "No first responses or resolutions in this period")
    x = range(len(months))
    fr = [100 * b[0] / b[1] if b[1] else 0 for b in report.sla_by_month.values()]
    res = [100 * b[2] / b[3] if b[3] else 0 for b in report.sla_by_month.values()]
    ax.bar([i - 0.2 for i in x], fr, width=0.4, color=ACCENT, label="First response met")
    ax.bar([i + 0.2 for i in x], res, width=0.4, color=ACCENT2, label="Resolution met")
    for i, b in enumerate(report.sla_by_month.values()):
        for dx, met, total in ((-0.2, b[0], b[1]), (0.2, b[2], b[3])):
            text = f"{100 * met / total:.0f}%" if total else "n/a"
            ax.text(i + dx, (100 * met / total if total else 0) + 2, text, ha="center", fontsize=8, color=INK)
    ax.set_ylim(0, 115)
    ax.set_yticks([0, 25, 50, 75, 100], ["0%", "25%", "50%", "75%", "100%"])
    ax.set_xticks(list(x), [f"{m:%b %Y}" for m in months])
    ax.grid(axis="y", color=GRID)
    ax.set_axisbelow(True)
    ax.legend(loc="upper center", fontsize=8, frameon=False, ncols=2, bbox_to_anchor=(0.5, 1.12))


def _rma(fig: Figure, report: PartnerReport) -> None:
    ax = fig.subplots()
    data = report.rma_turnaround_by_month
    if not any(data.values()):
        return _empty(ax, "No RMA installed in this period")
    months = list(data)
    medians = [rules.median_or_none(data[m]) or 0 for m in months]
    ax.bar(range(len(months)), medians, width=0.6, color=ACCENT, label="median")
    for i, m in enumerate(months):
        if data[m]:
            ax.scatter([i] * len(data[m]), data[m], s=12, color=INK, zorder=3)
            ax.text(i, max(data[m]) * 1.04 + 0.05, f"{medians[i]:.1f} d (n={len(data[m])})", ha="center", fontsize=8)
    ax.set_ylim(0, max(max(v) for v in data.values() if v) * 1.25 + 0.2)
    ax.set_xticks(range(len(months)), [f"{m:%b %Y}" for m in months])
    ax.set_ylabel("days (bar: median, dots: RMAs)")
    ax.grid(axis="y", color=GRID)
    ax.set_axisbelow(True)


def _assets(fig: Figure, report: PartnerReport) -> None:
    ax = fig.subplots()
    if not report.top_assets:
        return _empty(ax, "No cases opened in this period")
    serials = [s for s, _ in reversed(report.top_assets)]
    counts = [n for _, n in reversed(report.top_assets)]
    ax.barh(serials, counts, color=ACCENT)
    for i, n in enumerate(counts):
        ax.text(n, i, f" {n}", va="center", fontsize=8, color=INK)
    _integer_ticks(ax.xaxis)
    ax.set_xlabel("cases opened")
    ax.tick_params(axis="y", labelsize=7)
