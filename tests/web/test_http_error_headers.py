"""An HTTP error keeps the headers it carries: a 405 names the allowed methods (RFC 9110)."""

from __future__ import annotations


def test_a_method_the_api_does_not_offer_answers_405_with_allow_and_the_error_shape(app):
    response = app.test_client().open("/api/v1/users", method="TRACE")
    assert response.status_code == 405
    assert {"GET", "POST"} <= {m.strip() for m in response.headers["Allow"].split(",")}
    assert response.get_json()["error"]["code"] == "method_not_allowed"


def test_a_page_answers_405_with_allow_too(app):
    response = app.test_client().delete("/login")
    assert response.status_code == 405 and "POST" in response.headers["Allow"]
    assert response.headers["Content-Type"].startswith("text/html")
