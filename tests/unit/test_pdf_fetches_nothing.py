"""Rendering a PDF never makes a network request, whatever URL the document names."""

from __future__ import annotations

import http.server
import io
import threading

import pypdf
import pytest

from casemgr.pdf import render_pdf


@pytest.fixture
def listener():
    hits: list[str] = []

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self):  # noqa: N802
            hits.append(self.path)
            self.send_response(200)
            self.send_header("Content-Type", "text/css")
            self.end_headers()
            self.wfile.write(b"body { color: red }")

        def log_message(self, *args):
            pass

    server = http.server.HTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_port}", hits
    server.shutdown()
    server.server_close()


def test_images_stylesheets_imports_and_css_urls_are_not_fetched(listener):
    base, hits = listener
    html = f"""<!doctype html><html><head>
    <link rel="stylesheet" href="{base}/link.css">
    <style>@import url({base}/import.css); body {{ background: url({base}/bg.png) }}</style>
    </head><body><p>Still rendered</p><img src="{base}/img.png"><img src="file:///etc/passwd"></body></html>"""
    pdf = render_pdf(html)
    assert hits == []
    assert "Still rendered" in pypdf.PdfReader(io.BytesIO(pdf)).pages[0].extract_text()


def test_inline_data_urls_still_work(listener):
    _base, hits = listener
    pixel = "data:image/svg+xml;utf8,<svg xmlns='http://www.w3.org/2000/svg' width='4' height='4'/>"
    assert render_pdf(f'<p>Chart</p><img src="{pixel}">').startswith(b"%PDF") and hits == []
