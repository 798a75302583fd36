"""Every model of every area, so Alembic and the tests see the whole schema."""

import escalation.models  # noqa: F401  (registers its tables)
import reports.models  # noqa: F401
import rma.models  # noqa: F401
from casemgr.models import Base

target_metadata = Base.metadata
