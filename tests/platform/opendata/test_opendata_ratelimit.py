"""Per-address rate limits of the portal, the CKAN API and the DCAT catalogue: a token bucket per address."""

from __future__ import annotations

from pathlib import Path

from fastapi.testclient import TestClient
from opendata_helpers import LICENCE_COLS, licence_rows, make_app, make_dataset
from sqlalchemy.orm import Session

from digigov.core.ratelimit import TokenBucket


def test_the_bucket_refills_at_the_rate_and_holds_the_burst() -> None:
    now = [0.0]
    bucket = TokenBucket(per_minute=60, burst=3, clock=lambda: now[0])
    assert [bucket.take("1.2.3.4") for _ in range(3)] == [0, 0, 0]
    assert bucket.take("1.2.3.4") == 1  # one token a second: wait a second
    assert bucket.take("5.6.7.8") == 0  # another address has its own bucket
    now[0] += 1.0
    assert bucket.take("1.2.3.4") == 0 and bucket.take("1.2.3.4") == 1
    now[0] += 3600
    assert [bucket.take("1.2.3.4") for _ in range(4)] == [0, 0, 0, 1]  # never more than the burst


def test_idle_buckets_are_dropped_when_the_table_is_full() -> None:
    now = [0.0]
    bucket = TokenBucket(per_minute=60, burst=2, clock=lambda: now[0], max_addresses=10)
    for i in range(10):
        bucket.take(f"10.0.0.{i}")
    now[0] += 10
    bucket.take("10.0.1.1")
    assert len(bucket._buckets) == 1


def test_a_flood_gets_429_with_retry_after_everywhere(connection: object, tmp_path: Path, session: Session) -> None:
    make_dataset(session, "mr_food_licence_notice", LICENCE_COLS, licence_rows(2))
    session.commit()
    app = make_app(connection, tmp_path, open_rate_per_minute=1, open_rate_burst=2)
    with TestClient(app) as c:
        for path in ("/api/3/action/package_list", "/catalog.ttl"):
            assert c.get(path).status_code == 200
        api = c.get("/api/3/action/package_list")
        assert api.status_code == 429 and int(api.headers["Retry-After"]) >= 1
        body = api.json()
        assert body["success"] is False and body["error"]["__type"] == "Rate Limit Error"
        for path in ("/catalog.jsonld", "/open", "/open/datasets/mr_food_licence_notice",
                     "/open/datasets/mr_food_licence_notice.csv", "/api/action/status_show"):
            r = c.get(path)
            assert r.status_code == 429, path
            assert int(r.headers["Retry-After"]) >= 1
        assert c.get("/healthz").status_code == 200  # the console and operations are not limited here
