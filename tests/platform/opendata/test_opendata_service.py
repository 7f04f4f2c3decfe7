"""The open catalogue's rules: which datasets and fields are open, search, rows, exports, licences, counts."""

from __future__ import annotations

import csv
import io
import json

import pytest
from opendata_helpers import LICENCE_COLS, PERSONAL_COLS, Col, licence_rows, make_dataset
from sqlalchemy import select
from sqlalchemy.orm import Session

from digigov.audit.model import AuditRecord
from digigov.core.errors import InvalidInput, NotFound, PermissionDenied
from digigov.platform.opendata import search as searching
from digigov.platform.opendata import service, serving


@pytest.fixture
def licences(session: Session):  # type: ignore[no-untyped-def]
    return make_dataset(session, "mr_food_licence_notice", LICENCE_COLS, licence_rows(30),
                        name="食品经营许可公示", name_en="Food business licences", tags=["食品", "许可"],
                        system="digital_economy", description="食品经营许可证的公示信息。")


def test_an_l1_dataset_with_a_current_version_is_open(session: Session, licences) -> None:  # type: ignore[no-untyped-def]
    views = service.open_datasets(session)
    assert [v.code for v in views] == ["mr_food_licence_notice"]
    view = service.get_open(session, "mr_food_licence_notice")
    assert [f.column for f in view.fields] == [c.name for c in LICENCE_COLS]
    assert view.license.id == "CC-BY-4.0"


@pytest.mark.parametrize("grade", ["L2", "L3", "L4"])
def test_datasets_graded_above_l1_are_not_open(session: Session, grade: str) -> None:
    make_dataset(session, "graded", [Col("a"), Col("b", grade)], [["x", "y"]])
    assert service.open_datasets(session) == []
    with pytest.raises(NotFound):
        service.get_open(session, "graded")


def test_withdrawn_unloaded_and_restricted_datasets_are_not_open(session: Session) -> None:
    make_dataset(session, "offline_one", LICENCE_COLS, licence_rows(2), status="offline")
    make_dataset(session, "retired_one", LICENCE_COLS, licence_rows(2), status="retired")
    make_dataset(session, "restricted_one", LICENCE_COLS, licence_rows(2), attributes={"open_attribute": "受限开放"})
    make_dataset(session, "unloaded_one", LICENCE_COLS, [], version=0)
    make_dataset(session, "important_one", [Col("a", "L1", gb_level="important")], [["x"]], grade="L1")
    make_dataset(session, "open_one", LICENCE_COLS, licence_rows(2), attributes={"open_attribute": "无条件开放"})
    assert [v.code for v in service.open_datasets(session)] == ["open_one"]
    for code in ("offline_one", "retired_one", "restricted_one", "unloaded_one", "important_one", "nothing_here"):
        with pytest.raises(NotFound) as err:
            service.get_open(session, code)
        assert err.value.message == f"open dataset {code} not found"  # the same answer, whatever the reason


def test_a_field_above_l1_is_never_served_even_when_the_dataset_grade_says_l1(session: Session) -> None:
    make_dataset(session, "stale_grade", [*LICENCE_COLS, *PERSONAL_COLS], licence_rows(5, personal=True),
                 grade="L1")
    view = service.get_open(session, "stale_grade")
    assert "法定代表人" not in [f.column for f in view.fields]
    page = serving.read(view, serving.RowQuery(limit=100))
    assert [n for n, _ in page.fields] == ["_id", *(c.name for c in LICENCE_COLS)]
    assert all("法定代表人" not in r and "经营场所" not in r for r in page.records)
    for bad in (serving.RowQuery(fields=["法定代表人"]), serving.RowQuery(filters={"经营场所": ["x"]}),
                serving.RowQuery(sort=[("法定代表人", False)]), serving.RowQuery(q_fields={"法定代表人": "法"})):
        with pytest.raises(InvalidInput) as err:
            serving.read(view, bad)
        assert err.value.key == "open_unknown_field"  # as for a field that does not exist at all
    export = service.prepare_export(session, view, "csv")
    text = b"".join(serving.csv_chunks(export)).decode("utf-8-sig")
    assert "法人" not in text and "文三路" not in text


def test_rows_filter_search_sort_and_page(session: Session, licences) -> None:  # type: ignore[no-untyped-def]
    view = service.get_open(session, licences.code)
    page = serving.read(view, serving.RowQuery(filters={"主体业态": ["餐饮服务"]}, sort=[("注册资本", True)],
                                                limit=3, offset=1))
    everyone = [r for r in licence_rows(30) if r[2] == "餐饮服务"]
    assert page.total == len(everyone)
    assert [r["注册资本"] for r in page.records] == sorted((r[4] for r in everyone), reverse=True)[1:4]
    assert page.records[0]["发证日期"].startswith("2026-")  # dates as ISO text
    assert dict(page.fields)["注册资本"] == "DOUBLE"
    hit = serving.read(view, serving.RowQuery(q="杭州7号", fields=["经营者名称"]))
    assert [r["经营者名称"] for r in hit.records] == ["杭州7号餐饮有限公司"]
    assert list(hit.records[0]) == ["_id", "经营者名称"]


def test_exports_hold_every_row_of_the_open_fields(session: Session, licences, tmp_path) -> None:  # type: ignore[no-untyped-def]
    view = service.get_open(session, licences.code)
    export = service.prepare_export(session, view, "csv")
    raw = b"".join(serving.csv_chunks(export))
    assert raw.startswith(b"\xef\xbb\xbf")  # UTF-8 with BOM, for Excel
    table = list(csv.reader(io.StringIO(raw.decode("utf-8-sig"))))
    assert table[0] == [c.name for c in LICENCE_COLS] and len(table) == 31
    records = json.loads(b"".join(serving.json_chunks(service.prepare_export(session, view, "json"))))
    assert len(records) == 30 and records[0]["许可证编号"] == "JY133010000001"
    import pyarrow.parquet as pq

    path = serving.write_parquet(service.prepare_export(session, view, "parquet"), tmp_path / "x.parquet")
    got = pq.read_table(path)
    assert got.column_names == [c.name for c in LICENCE_COLS] and got.num_rows == 30
    assert service.download_counts(session) == {licences.code: 3}


def test_exports_stream_in_batches(session: Session, licences, monkeypatch: pytest.MonkeyPatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setattr(serving, "EXPORT_BATCH", 7)
    export = service.prepare_export(session, service.get_open(session, licences.code), "json")
    assert len(list(serving._batches(export, 7))) == 5  # 30 rows: 7+7+7+7+2
    assert len(json.loads(b"".join(serving.json_chunks(export)))) == 30


def test_csv_cells_that_look_like_formulas_are_neutralised() -> None:
    assert serving.csv_cell("=HYPERLINK(1)") == "'=HYPERLINK(1)"
    assert serving.csv_cell("@SUM") == "'@SUM" and serving.csv_cell("+1") == "'+1"
    assert serving.csv_cell(-3) == -3 and serving.csv_cell(None) == ""


def test_each_download_and_datastore_read_is_an_audit_record_of_the_public(session: Session, licences) -> None:  # type: ignore[no-untyped-def]
    view = service.get_open(session, licences.code)
    service.datastore_read(session, view, serving.RowQuery(limit=1))
    service.prepare_export(session, view, "json")
    records = list(session.scalars(select(AuditRecord).where(AuditRecord.action == service.DOWNLOAD_ACTION)))
    assert [(r.actor, r.object_id, json.loads(r.detail)["channel"]) for r in records] == [
        ("public", licences.code, "datastore"), ("public", licences.code, "json")]
    serving.preview(view)  # a look at the page is not a download
    assert service.download_counts(session)[licences.code] == 2


def test_the_owner_steward_sees_the_download_report_and_others_do_not(session: Session, licences, actor_of) -> None:  # type: ignore[no-untyped-def]
    view = service.get_open(session, licences.code)
    for fmt in ("csv", "csv", "parquet"):
        service.prepare_export(session, view, fmt)
    report = service.download_report(session, actor_of("hz_police_steward"), licences.code)
    assert report.total == 3 and report.by_channel["csv"] == 2 and report.recent_by_channel["parquet"] == 1
    assert sum(n for _, n in report.per_day) == 3
    with pytest.raises(PermissionDenied):
        service.download_report(session, actor_of("hz_civil_steward"), licences.code)


def test_search_words_filters_sort_and_facets(session: Session, licences) -> None:  # type: ignore[no-untyped-def]
    make_dataset(session, "ag_project_notice", [Col("项目名称"), Col("所属村")], [["道路硬化", "三墩村"]],
                 name="村级工程项目公示", tags=["三资"], owner="330106-agriculture", frequency="每月")
    assert [v.code for v in service.search(session, service.criteria("食品许可")).items] == [licences.code]
    assert [v.code for v in service.search(session, service.criteria("公示", sort="name asc")).items] == \
        ["ag_project_notice", "mr_food_licence_notice"]
    assert service.search(session, service.criteria("", tags=["三资"])).total == 1
    assert service.search(session, service.criteria("", update_frequency=["每日"])).total == 1
    fq = service.criteria("", "organization:330100-public_security OR organization:330106-agriculture -tags:三资")
    assert [v.code for v in service.search(session, fq).items] == [licences.code]
    assert service.search(session, service.criteria("", "metadata_modified:[2000-01-01T00:00:00Z TO *]")).total == 2
    assert service.search(session, service.criteria("", "metadata_modified:[* TO 2000-01-01T00:00:00Z]")).total == 0
    facets = service.search(session, service.criteria(""), facet_fields=["organization", "res_format"]).facets
    assert facets["organization"] == {"330100-public_security": 1, "330106-agriculture": 1}
    assert facets["res_format"] == {"CSV": 2, "JSON": 2, "Parquet": 2}
    with pytest.raises(searching.SearchQueryError):
        service.criteria("", "secret_field:1")
    with pytest.raises(searching.SearchQueryError):
        service.criteria("", sort="password desc")


def test_the_catalogue_entry_may_name_the_licence(session: Session) -> None:
    make_dataset(session, "cc0_data", LICENCE_COLS, licence_rows(1), attributes={"license": "CC0-1.0"})
    make_dataset(session, "own_licence", LICENCE_COLS, licence_rows(1),
                 attributes={"licence": "浙江省公共数据开放许可"})
    assert service.get_open(session, "cc0_data").license.url == "https://creativecommons.org/publicdomain/zero/1.0/"
    own = service.get_open(session, "own_licence").license
    assert own.title == "浙江省公共数据开放许可" and own.id
