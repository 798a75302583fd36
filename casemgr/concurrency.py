"""Optimistic locking: a concurrent writer is a conflict (409), never a silent overwrite."""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any, TypeVar

from sqlalchemy.orm import Session
from sqlalchemy.orm.exc import StaleDataError

from casemgr.errors import ConflictError

T = TypeVar("T")


def detect_conflicts(what: str) -> Callable[[Callable[..., T]], Callable[..., T]]:
    """Guard a whole use case: the version check can fail at any flush (listeners flush too).

    ``what`` names the object in the message ("case", "RMA").
    """

    def decorate(service: Callable[..., T]) -> Callable[..., T]:
        @functools.wraps(service)
        def guarded(session: Session, *args: Any, **kwargs: Any) -> T:
            try:
                return service(session, *args, **kwargs)
            except StaleDataError as exc:
                session.rollback()
                raise ConflictError(
                    f"The {what} was changed by someone else at the same moment. Reload and try again."
                ) from exc

        return guarded

    return decorate
