"""PDF rendering (WeasyPrint) for every area.

One FontConfiguration is shared by every render (several times faster), and a
document fetches nothing: its resources are inline (the charts' SVG, local fonts),
and any other URL in it -- say, text of a user's that reached a stylesheet or an
image tag -- is refused by the fetcher (only ``data:`` URLs are read), so rendering
a PDF never makes a network request.
"""

from __future__ import annotations

from functools import cache


@cache
def _fonts():
    from weasyprint.text.fonts import FontConfiguration

    return FontConfiguration()


def render_pdf(html: str) -> bytes:
    from weasyprint import HTML, URLFetcher

    return HTML(string=html, url_fetcher=URLFetcher(allowed_protocols=("data",))).write_pdf(font_config=_fonts())
