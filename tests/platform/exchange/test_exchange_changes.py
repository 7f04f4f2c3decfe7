"""What a load changed: inserts, updates and deletes between versions, announced on the bus with the load."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session
from tests.platform.ingest.test_ingest_service import GOOD, make_id, write_csv

from digigov.core.bus_model import OutboxEvent
from digigov.core.settings import get_settings
from digigov.core.warehouse import get_warehouse
from digigov.platform.exchange import changes
from digigov.platform.ingest import service as ingest
from digigov.platform.warehouse import governance


@pytest.fixture
def steward(actor_of):  # type: ignore[no-untyped-def]
    return actor_of("hz_police_steward")


def _dataset(session: Session, steward, code: str, keys: list[str]):  # type: ignore[no-untyped-def]
    return ingest.ensure_dataset(session, steward, ingest.DatasetSpec(
        code=code, name="杭州市常住人口", department="330100-public_security", update_frequency="每日",
        key_columns=keys))


def _changes(code: str, version: int) -> list[dict]:  # type: ignore[type-arg]
    with get_warehouse().connect() as con:
        return changes.read(con, "clean", code, version, limit=1000)


def _events(session: Session) -> list[dict]:  # type: ignore[type-arg]
    return [e.payload for e in session.scalars(select(OutboxEvent).where(OutboxEvent.subject == "dataset.changed")
                                               .order_by(OutboxEvent.seq))]


def test_keyed_loads_give_inserts_updates_and_deletes(session: Session, steward, tmp_path: Path) -> None:
    _dataset(session, steward, "hz_people_feed", ["公民身份号码"])
    first = ingest.ingest(session, steward, "hz_people_feed", write_csv(tmp_path / "a.csv", list(GOOD[:3])))
    assert first.report["changes"] == {"insert": 3, "update": 0, "delete": 0}
    moved = (GOOD[0][0], GOOD[0][1], GOOD[0][2], GOOD[0][3], "13900000000", GOOD[0][5])  # a new phone number
    newcomer = ("赵七", make_id("330108", "19991111", "052"), "女", "1999-11-11", "13611112222",
                "杭州市滨江区江南大道1号")
    second = ingest.ingest(session, steward, "hz_people_feed",
                           write_csv(tmp_path / "b.csv", [moved, GOOD[1], newcomer]))  # GOOD[2] left
    assert second.report["changes"] == {"insert": 1, "update": 1, "delete": 1}
    rows = {r["_op"]: r for r in _changes("hz_people_feed", second.version)}
    assert rows["insert"]["公民身份号码"] == newcomer[1]
    assert rows["update"]["公民身份号码"] == GOOD[0][1] and rows["update"]["手机号码"] == "13900000000"
    assert rows["delete"]["公民身份号码"] == GOOD[2][1] and rows["delete"]["姓名"] == GOOD[2][0]  # old values
    assert [(e["version"], e["counts"]) for e in _events(session)] == [
        (1, {"insert": 3, "update": 0, "delete": 0}), (2, {"insert": 1, "update": 1, "delete": 1})]


def test_the_same_file_again_changes_nothing_and_announces_nothing(session: Session, steward, tmp_path: Path) -> None:
    _dataset(session, steward, "hz_people_same", ["公民身份号码"])
    path = write_csv(tmp_path / "a.csv", list(GOOD))
    ingest.ingest(session, steward, "hz_people_same", path)
    ingest.ingest(session, steward, "hz_people_same", path)
    assert [e["version"] for e in _events(session)] == [1]


def test_without_keys_rows_compare_whole_as_a_multiset(session: Session, steward, tmp_path: Path) -> None:
    _dataset(session, steward, "hz_people_nokey", [])
    ingest.ingest(session, steward, "hz_people_nokey", write_csv(tmp_path / "a.csv", [GOOD[0], GOOD[0], GOOD[1]]))
    second = ingest.ingest(session, steward, "hz_people_nokey",
                           write_csv(tmp_path / "b.csv", [GOOD[0], GOOD[1], GOOD[2]]))
    assert second.report["changes"] == {"insert": 1, "update": 0, "delete": 1}  # one duplicate gone, one added
    ops = sorted((r["_op"], r["姓名"]) for r in _changes("hz_people_nokey", second.version))
    assert ops == [("delete", GOOD[0][0]), ("insert", GOOD[2][0])]


def test_change_tables_go_with_the_versions_no_longer_kept(session: Session, steward, tmp_path: Path,
                                                           monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(get_settings(), "warehouse_keep_versions", 1)
    _dataset(session, steward, "hz_people_keep", ["公民身份号码"])
    for i in range(3):
        ingest.ingest(session, steward, "hz_people_keep", write_csv(tmp_path / f"{i}.csv", list(GOOD[: i + 2])))
    session.commit()
    governance.sync_views(session.get_bind(), "hz_people_keep")
    with get_warehouse().connect() as con:
        names = {r[0] for r in con.execute("SELECT table_name FROM information_schema.tables WHERE table_name "
                                           "LIKE 'hz_people_keep__c%'").fetchall()}
    assert names == {"hz_people_keep__c3"}
