"""No field above grade 1 is ever reachable, whatever the grades: hypothesis generates datasets with random
field grades (and national levels), a declared dataset grade that may disagree with its fields, and a
catalogue status; every public door (portal page, CKAN package_show / package_search / datastore_search,
the three downloads, the DCAT catalogue) is then read and searched for the closed fields' names and
values. A dataset graded L2+ (or withdrawn) is never listed, shown or searchable (404 on show)."""

from __future__ import annotations

import itertools
import json
from pathlib import Path

import pyarrow.parquet as pq
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from opendata_helpers import Col, make_dataset
from sqlalchemy.orm import Session

from digigov.platform.opendata.service import field_is_open

API = "/api/3/action"
_SEQ = itertools.count(1)

field_specs = st.lists(
    st.tuples(st.sampled_from(["L1", "L1", "L2", "L3", "L4"]),
              st.sampled_from([None, None, None, "important", "core"])),
    min_size=1, max_size=5)
datasets = st.fixed_dictionaries({
    "fields": field_specs,
    "declared": st.sampled_from(["fields", "L1", "L2", "L3", "L4"]),  # "fields": the fields' highest
    "status": st.sampled_from(["online", "online", "online", "offline"]),
})


def _columns(spec: dict, seq: int) -> list[Col]:  # type: ignore[type-arg]
    return [Col(f"f{seq}_{i}_{'open' if grade == 'L1' and gb is None else 'closed'}", grade, gb_level=gb)
            for i, (grade, gb) in enumerate(spec["fields"])]


def _bodies(client: TestClient, code: str, tmp_path: Path) -> list[str]:
    """Everything the public can get about `code`, as text (Parquet read back to its columns and values)."""
    out = [client.get(f"/open/datasets/{code}").text, client.get("/open", params={"q": code}).text]
    pkg = client.get(f"{API}/package_show", params={"id": code}).json()["result"]
    out.append(json.dumps(pkg, ensure_ascii=False))
    out.append(client.get(f"{API}/package_search", params={"q": code, "rows": 1000}).text)
    datastore = client.get(f"{API}/datastore_search", params={"resource_id": pkg["resources"][0]["id"],
                                                                "limit": 1000})
    out.append(datastore.content.decode("utf-8"))
    out.append(client.get(f"/open/datasets/{code}.csv").content.decode("utf-8-sig"))
    out.append(client.get(f"/open/datasets/{code}.json").text)
    path = tmp_path / f"{code}.parquet"
    path.write_bytes(client.get(f"/open/datasets/{code}.parquet").content)
    table = pq.read_table(path)
    out.append(json.dumps({"columns": table.column_names, "rows": table.to_pylist()}, ensure_ascii=False,
                          default=str))
    out.append(client.get("/catalog.ttl").text)  # JSON-LD is the same graph (test_opendata_dcat parses both)
    return out


@settings(max_examples=12, deadline=None, derandomize=True,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(spec=datasets)
def test_no_field_above_grade_1_is_ever_served(spec: dict, client: TestClient, session: Session,  # type: ignore[type-arg]
                                               tmp_path: Path) -> None:
    seq = next(_SEQ)
    code = f"gen_{seq}"
    cols = _columns(spec, seq)
    rows = [[f"{c.name}-value-{r}" for c in cols] for r in range(3)]
    declared = None if spec["declared"] == "fields" else spec["declared"]
    ds = make_dataset(session, code, cols, rows, grade=declared, status=spec["status"], name=f"生成数据集{seq}")
    session.commit()
    open_cols = [c for c in cols if field_is_open(c.grade, c.gb_level or "general_1")]
    closed_cols = [c for c in cols if c not in open_cols]
    expect_open = ds.grade == "L1" and spec["status"] == "online" and bool(open_cols)

    listed = client.get(f"{API}/package_list").json()["result"]
    assert (code in listed) is expect_open
    if not expect_open:
        assert client.get(f"{API}/package_show", params={"id": code}).status_code == 404
        assert client.get(f"/open/datasets/{code}").status_code == 404
        for fmt in ("csv", "json", "parquet"):
            assert client.get(f"/open/datasets/{code}.{fmt}").status_code == 404
        assert client.get(f"{API}/datastore_search", params={"resource_id": code}).status_code == 404
        search = client.get(f"{API}/package_search", params={"q": code, "rows": 1000}).json()["result"]
        assert code not in [p["name"] for p in search["results"]]
        assert f"/open/datasets/{code}" not in client.get("/catalog.ttl").text
        assert f'data-code="{code}"' not in client.get("/open", params={"q": code}).text
        return
    bodies = _bodies(client, code, tmp_path)
    for body in bodies:
        for col in closed_cols:
            assert col.name not in body, (col, body[:300])
    assert f'data-code="{code}"' in bodies[1]  # the portal finds it
    served = json.loads(bodies[4])["result"]
    assert [f["id"] for f in served["fields"]] == ["_id", *(c.name for c in open_cols)]
    assert served["total"] == 3
    for col in open_cols:  # the open fields are all there, with their values
        assert f"{col.name}-value-2" in bodies[5]
