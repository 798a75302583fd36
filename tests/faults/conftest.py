"""Fixtures of the fault tests: a private PostgreSQL cluster and a Casemgr home on it."""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.conftest import skip_or_fail
from tests.faults.cluster import PrivateCluster, postgres_bin
from tests.faults.servers import Home, initialise


@pytest.fixture
def cluster() -> Iterator[PrivateCluster]:
    bin_dir = postgres_bin()
    if bin_dir is None:
        skip_or_fail("no PostgreSQL server binaries under /usr/lib/postgresql (apt-get install postgresql)")
    made = PrivateCluster(bin_dir)
    try:
        made.start()
        yield made
    finally:
        made.destroy()


@pytest.fixture
def instance() -> Iterator[Path]:
    folder = Path(tempfile.mkdtemp(prefix="casemgr-instance-"))
    yield folder
    shutil.rmtree(folder, ignore_errors=True)


@pytest.fixture
def home(cluster, instance) -> Home:
    """``casemgr init`` on a database of the private cluster, a partner, users and tokens."""
    return initialise(Home(cluster.createdb("casemgr"), instance))
