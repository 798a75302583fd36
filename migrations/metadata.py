"""Every model of every area, so Alembic and the tests see the whole schema."""

import escalation.models  # noqa: F401  (registers its tables)
import reports.models  # noqa: F401
import rma.models  # noqa: F401
from casemgr.models import Base

target_metadata = Base.metadata


#: What the search migration (0022) makes that no model can describe: FTS5 tables with their
#: shadow tables (SQLite), the generated tsvector columns ``search_document`` under GIN indexes
#: (PostgreSQL) and the case-insensitive index on tracking numbers.
OUTSIDE_THE_MODELS = ("support_case_fts", "case_event_fts", "rma_fts")
OUTSIDE_THE_MODELS_INDEXES = (
    "ix_support_case_search",
    "ix_case_event_search",
    "ix_rma_search",
    "ix_rma_shipment_tracking_upper",
)


def include_name(name, type_, parent_names) -> bool:
    """Alembic's ``include_name`` hook: compare everything but the objects above."""
    if type_ == "table":  # the FTS5 tables, their shadow tables and their content views
        return not (name or "").startswith(OUTSIDE_THE_MODELS)
    if type_ == "index":
        return name not in OUTSIDE_THE_MODELS_INDEXES
    if type_ == "column":
        return name != "search_document"  # PostgreSQL's generated tsvector columns
    return True
