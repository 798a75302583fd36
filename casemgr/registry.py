"""The registry: one per app, built by :func:`casemgr.create_app` and handed to each
area's ``init_app(app, registry)``.

The core never imports ``rma``, ``escalation`` or ``reports``. What those areas
bring to it -- panels on the case page, jobs on the scheduler's tick, API
blueprints, parts owed back (for the escalation ladder), start pages per role,
demo seeders, the SLA timing of a case being opened -- they add here, and the core
reads it from here. Everything is typed and explicit: no string-keyed lists in
``app.extensions``, no module globals, no listeners on the process-wide
``Session`` class (session listeners go on this app's session factories).

Reach it with :func:`registry_of` (an app, or the current one) or, below the
views, with :func:`registry_for` (a session this app made).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any

from flask import Flask, current_app
from markupsafe import Markup
from sqlalchemy import event
from sqlalchemy.orm import Session

from casemgr.clock import Clock

if TYPE_CHECKING:
    from casemgr.cases.models import Case
    from casemgr.db import Database

#: The key of the registry in ``app.extensions`` and in each session's ``info``.
KEY = "casemgr"

#: ``panel(session, viewer, case, now)``: HTML for the case page, or None to show nothing.
CasePanel = Callable[[Session, Any, "Case", datetime], Markup | None]
#: ``extra(session, case, now, just_opened)``: more fields for the case's API representation;
#: ``just_opened``: the request opened the case, so it has no history to read yet.
CaseApiExtra = Callable[[Session, "Case", datetime, bool], dict[str, Any]]
#: ``job(app, now)``: run on every scheduler tick, after the escalation pass.
TickJob = Callable[[Flask, datetime], None]
#: ``step(session, now)``: adds an area's demo data (seeders), or runs once all is in (finishers).
DemoStep = Callable[[Session, datetime], None]
#: ``source(session, case_ids)``: {case id: [parts owed back, ...]} for the ladder's return_overdue.
ReturnSource = Callable[[Session, list[int]], dict[int, list[Any]]]


#: ``serviced(actor)``: a SELECT of the ids of the cases a field engineer services (their dispatches).
ServicedCases = Callable[[Any], Any]

#: ``source(session, now)``: Prometheus metric families read from the database at scrape time
#: (cheap, indexed queries: casemgr.metrics).
MetricSource = Callable[[Session, datetime], Iterable[Any]]

#: ``listener(session, event)``: runs inside the transaction of the change (casemgr.events).
Listener = Callable[[Session, Any], None]


class EventBus:
    """Domain events (:mod:`casemgr.events`) to the listeners the areas subscribed."""

    def __init__(self) -> None:
        self._listeners: dict[type, list[Listener]] = defaultdict(list)

    def subscribe(self, event_type: type, listener: Listener) -> None:
        self._listeners[event_type].append(listener)

    def publish(self, session: Session, event: object) -> None:
        for listener in self._listeners.get(type(event), ()):
            listener(session, event)


@dataclass(frozen=True)
class DueTimes:
    """A case's SLA due times, as the timer of a case being opened computes them."""

    first_response: datetime | None = None
    next_update: datetime | None = None
    resolution: datetime | None = None


#: ``timer(session, case, now)``: the due times of a case about to be inserted (no id yet).
CaseTimer = Callable[[Session, "Case", datetime], DueTimes]


@dataclass(eq=False)
class Registry:
    """What one app is made of beyond Flask's own: clock, database, event bus, and the
    extension points the optional areas fill in."""

    clock: Clock
    db: Database
    events: EventBus = field(default_factory=EventBus)
    case_panels: list[CasePanel] = field(default_factory=list)
    case_api_extras: list[CaseApiExtra] = field(default_factory=list)
    tick_jobs: list[TickJob] = field(default_factory=list)
    api_blueprints: list[Any] = field(default_factory=list)  # flask_smorest.Blueprint, registered by create_app
    return_sources: list[ReturnSource] = field(default_factory=list)
    home_pages: dict[str, str] = field(default_factory=dict)  # role -> endpoint of its start page
    first_run_steps: list[Callable[[Session, datetime], str]] = field(default_factory=list)  # casemgr.first_run
    demo_seeders: list[DemoStep] = field(default_factory=list)
    demo_finishers: list[DemoStep] = field(default_factory=list)
    on_serve: list[Callable[[], None]] = field(default_factory=list)  # started by `casemgr serve`
    #: casemgr.search: an area's text sources (TextSource) and exact-identifier sources (IdentifierSource).
    search_text_sources: list[Any] = field(default_factory=list)
    search_identifier_sources: list[Any] = field(default_factory=list)
    case_timer: CaseTimer | None = None
    serviced_cases: ServicedCases | None = None  # field engineers see these cases and their assets
    metric_sources: list[MetricSource] = field(default_factory=list)  # scraped by GET /metrics
    metrics_access: Any = None  # casemgr.metrics.access.MetricsAccess: who may read /metrics
    api: Any = None  # the flask_smorest.Api serving /api/v1 (its OpenAPI document)

    def __post_init__(self) -> None:
        for factory in self.db.factories():
            factory.configure(info={KEY: self})

    def listen_sessions(self, identifier: str, fn: Callable[..., Any]) -> None:
        """A SQLAlchemy session event (``before_flush``, ``after_flush``, ...) on every
        session this app makes, and on no other."""
        for factory in self.db.factories():
            event.listen(factory, identifier, fn)

    def time_new_case(self, session: Session, case: Case, now: datetime) -> DueTimes:
        """The SLA due times of ``case`` (not inserted yet), so that its INSERT carries them."""
        return self.case_timer(session, case, now) if self.case_timer is not None else DueTimes()

    def render_case_panels(self, session: Session, viewer: Any, case: Case, now: datetime) -> list[Markup]:
        rendered = (panel(session, viewer, case, now) for panel in self.case_panels)
        return [html for html in rendered if html]


def registry_of(app: Flask | None = None) -> Registry:
    """The registry of ``app`` (by default the current one)."""
    return (app or current_app).extensions[KEY]


def registry_for(session: Session) -> Registry | None:
    """The registry of the app whose factory made ``session`` (None for a session made
    elsewhere, e.g. by a benchmark's own engine: it then publishes to nobody)."""
    return session.info.get(KEY)
