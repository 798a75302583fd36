"""Fixtures of the deployment rehearsal: databases created on the shared PostgreSQL server
(and dropped), a Redis database number flushed before and after, a SeaweedFS S3 server of
the test's own, an SMTP sink, a scratch folder."""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.conftest import skip_or_fail
from tests.deploy.rehearsal import HoldingSink
from tests.pg_databases import empty_databases
from tests.s3_server import own_s3_server  # noqa: F401  (a fixture)

#: Redis database number of the rehearsal (other tests use redis://127.0.0.1:6379/0-9).
REDIS_DB = int(os.environ.get("CASEMGR_TEST_REHEARSAL_REDIS_DB", "14"))


@pytest.fixture
def pg_databases() -> Iterator[tuple[str, str]]:
    """The live database and the one a backup is restored into, both new and empty."""
    with empty_databases("casemgr_rehearsal", "casemgr_rehearsal_restored", purpose="rehearse the deployment") as (
        live,
        restored,
    ):
        yield live, restored


@pytest.fixture
def redis_url() -> Iterator[str]:
    redis = pytest.importorskip("redis")
    url = f"redis://127.0.0.1:6379/{REDIS_DB}"
    client = redis.Redis.from_url(url)
    try:
        client.ping()
    except redis.RedisError:
        skip_or_fail("no Redis server at 127.0.0.1:6379 (apt-get install redis-server)")
    client.flushdb()
    yield url
    client.flushdb()
    client.close()


@pytest.fixture
def smtp_sink() -> Iterator[HoldingSink]:
    sink = HoldingSink().start()
    yield sink
    sink.holding.clear()
    sink.stop()


@pytest.fixture
def scratch() -> Iterator[Path]:
    folder = Path(tempfile.mkdtemp(prefix="casemgr-rehearsal-"))
    yield folder
    shutil.rmtree(folder, ignore_errors=True)
