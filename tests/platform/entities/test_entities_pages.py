"""The file pages through the web app: search, a file with hidden and shown sections, a steward's split."""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session
from tests.conftest import make_app
from tests.web.conftest import Console, login_client

from digigov.core.warehouse import get_warehouse
from digigov.platform.entities import linker


def _client(linked: Any, tmp_path: Any, people: Any, username: str) -> Console:
    app = make_app(linked.connection, tmp_path, warehouse_path=str(tmp_path / "warehouse.duckdb"))
    return login_client(app, username, people[username].password)


def test_search_and_file_page(esession: Session, linked: Any, tmp_path: Any, people: Any) -> None:
    with get_warehouse().connect() as con:
        citizen_id, file_id = con.execute(
            f"SELECT f.citizen_id, f.file_id FROM {linker.file_table('person')} f JOIN {linker.link_table('person')} l "
            "ON l.file_id = f.file_id WHERE l.dataset = 'mr_enterprise' AND f.citizen_id IS NOT NULL "
            "ORDER BY f.file_id LIMIT 1").fetchall()[0]
    client = _client(linked, tmp_path, people, "zj_market_officer")
    found = client.get("/entities", params={"q": citizen_id})
    assert found.status_code == 200 and f"/entities/person/{file_id}" in found.text, found.text[-1500:]
    page = client.get(f"/entities/person/{file_id}")
    assert page.status_code == 200
    assert 'data-dataset="mr_enterprise" data-visible="yes"' in page.text
    assert 'data-dataset="ps_household" data-visible="no"' in page.text
    assert citizen_id not in page.text  # the golden ID is masked
    assert client.get("/entities/person/P0000000000000000").status_code == 404


def test_steward_splits_from_the_page(esession: Session, linked: Any, tmp_path: Any, people: Any) -> None:
    with get_warehouse().connect() as con:
        dataset, record, role, file_id = con.execute(
            f"SELECT dataset, record, role, file_id FROM {linker.link_table('person')} WHERE method = 'probabilistic' "
            "ORDER BY dataset, record LIMIT 1").fetchall()[0]
    officer = _client(linked, tmp_path, people, "zj_market_officer")
    denied = officer.post_form(f"/entities/person/{file_id}/decide", {
        "dataset": dataset, "record": record, "role": role, "action": "split"})
    assert denied.status_code == 403
    client = _client(linked, tmp_path, people, "zj_bigdata_steward")
    resp = client.post_form(f"/entities/person/{file_id}/decide", {
        "dataset": dataset, "record": record, "role": role, "action": "split", "reason": "核实非同一人"})
    assert resp.status_code == 303
    with get_warehouse().connect() as con:
        now = con.execute(f"SELECT file_id FROM {linker.link_table('person')} WHERE dataset = ? AND record = ? "
                          "AND role = ?", [dataset, record, role]).fetchall()[0][0]
    assert now != file_id
