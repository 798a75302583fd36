"""The folder where prometheus-client keeps each process's values (multiprocess mode).

gunicorn's workers and ``casemgr scheduler`` of one host share one folder
(``PROMETHEUS_MULTIPROC_DIR``); a scrape of any worker sums every file in it. When
gunicorn starts, the files of processes that are gone are removed (their counts
restart from zero, as after any restart); while it runs, a worker that exits keeps
its counters (they stay in the sums) and loses only its live gauges
(``mark_process_dead``, from gunicorn's ``child_exit`` hook).
"""

from __future__ import annotations

import os
from pathlib import Path


def file_pid(path: Path) -> int | None:
    """The process id a value file belongs to: ``counter_1234.db``, ``gauge_livesum_1234.db``."""
    if path.suffix != ".db":
        return None
    last = path.stem.rsplit("_", 1)[-1]
    return int(last) if last.isdigit() else None


def process_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True  # another user's process: alive
    return True


def prepare(folder: str | os.PathLike[str]) -> list[Path]:
    """Create the folder if needed and remove the files of processes no longer running;
    returns the files removed."""
    root = Path(folder)
    root.mkdir(parents=True, exist_ok=True)
    removed = []
    for path in root.glob("*.db"):
        pid = file_pid(path)
        if pid is not None and pid != os.getpid() and not process_alive(pid):
            path.unlink(missing_ok=True)
            removed.append(path)
    return removed
