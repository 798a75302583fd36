"""GET /api/v1/search: the search page's results as JSON, with the same scoping."""

from __future__ import annotations

from flask.views import MethodView
from flask_smorest import Blueprint
from marshmallow import fields, validate

from casemgr.api.auth import api_user
from casemgr.api.schemas import StrictSchema
from casemgr.db import get_session
from casemgr.search import service
from casemgr.search.text import KINDS, MAX_QUERY_LENGTH, parse_query

blp = Blueprint("api_search", __name__, description="Search cases, timeline entries, assets and RMAs")


class SearchQuerySchema(StrictSchema):
    q = fields.String(
        required=True,
        validate=validate.Length(min=1, max=MAX_QUERY_LENGTH),
        metadata={"description": "Words, or an exact case/RMA number, serial or tracking number."},
    )
    kind = fields.String(validate=validate.OneOf(KINDS))
    cursor = fields.String(validate=validate.Length(max=200), metadata={"description": "`next` of the page before."})
    limit = fields.Integer(load_default=service.PAGE_SIZE, validate=validate.Range(min=1, max=50))


class SearchHitSchema(StrictSchema):
    kind = fields.String(validate=validate.OneOf(KINDS))
    key = fields.String(metadata={"description": "The case or RMA number, or the asset serial."})
    title = fields.String()
    snippet = fields.String(metadata={"description": "HTML: the text escaped, matched words in <mark>."})
    url = fields.String(metadata={"description": "The page of the result."})


class SearchPageSchema(StrictSchema):
    results = fields.List(fields.Nested(SearchHitSchema))
    next = fields.String(allow_none=True, metadata={"description": "Cursor of the next page; null on the last."})


@blp.route("/search")
class Search(MethodView):
    #: The query's own validation answers NUL characters (422), not the app's 400 for any request.
    checks_nul_itself = True

    @blp.arguments(SearchQuerySchema(), location="query")
    @blp.response(200, SearchPageSchema)
    def get(self, args):
        """Search what the caller may see: exact identifiers first, then ranked full-text matches."""
        query = parse_query(args["q"], args.get("kind"))
        page = service.search(get_session(), api_user(), query, args.get("cursor"), limit=args["limit"])
        return {
            "results": [
                {"kind": h.kind, "key": h.key, "title": h.title, "snippet": str(h.snippet), "url": h.url}
                for h in page.hits
            ],
            "next": page.next,
        }
