"""One local AWS (moto's server with Insight's extensions) per test module, with the module's
``BUCKETS`` created."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from insight_local.server import LocalAWS


@pytest.fixture(scope="module")
def aws(request: pytest.FixtureRequest) -> Iterator[LocalAWS]:
    local = LocalAWS().start()
    for bucket in getattr(request.module, "BUCKETS", ()):
        local.client("s3").create_bucket(Bucket=bucket)
    yield local
    local.stop()
