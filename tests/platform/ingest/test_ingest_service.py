"""Loads end to end: stage, mapping, clean, quarantine, versions, idempotency, quality items, masking."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest
from sqlalchemy.orm import Session
from stdnum.cn import ric

from digigov.audit.model import AuditRecord
from digigov.core.errors import Conflict, PermissionDenied
from digigov.core.warehouse import Warehouse, get_warehouse
from digigov.platform.ingest import service as ingest
from digigov.platform.quality import service as quality
from digigov.platform.warehouse import governance
from digigov.platform.warehouse import service as warehouse


def make_id(region: str, birth: str, seq: str) -> str:
    body = f"{region}{birth}{seq}"
    return body + ric.calc_check_digit(body + "0")


GOOD = [
    ("张三", make_id("330106", "19900805", "123"), "男", "1990年8月5日", "13812345678",
     "浙江省杭州市西湖区文三路100号"),
    ("李四", make_id("330102", "19850312", "224"), "女", "1985/3/12", "１３９１２３４５６７８",
     "杭州市上城区解放路1号"),
    ("王五", make_id("330203", "20010101", "015"), "男", "20010101", "13700001111", "宁波市海曙区中山西路2号"),
    ("陳六", make_id("330302", "19700615", "031"), "男", "1970-06-15", "13512340000", "温州市鹿城区人民路5号"),
]
BAD_CHECKSUM = make_id("330106", "19920202", "123")[:-1] + ("0" if make_id("330106", "19920202", "123")[-1] != "0"
                                                             else "1")
HEADERS = ["姓名", "公民身份号码", "性别", "出生日期", "手机号码", "住址"]


def write_csv(path: Path, rows: list[tuple[str, ...]], encoding: str = "utf-8") -> Path:
    with path.open("w", encoding=encoding, newline="") as f:
        w = csv.writer(f)
        w.writerow(HEADERS)
        w.writerows(rows)
    return path


@pytest.fixture
def steward(actor_of):  # type: ignore[no-untyped-def]
    return actor_of("hz_police_steward")


@pytest.fixture
def dataset(session: Session, steward):  # type: ignore[no-untyped-def]
    return ingest.ensure_dataset(session, steward, ingest.DatasetSpec(
        code="hz_residents", name="杭州市常住人口", department="330100-public_security", update_frequency="每日",
        key_columns=["公民身份号码"]))


def test_a_load_balances_and_quarantines_bad_rows_with_reasons(session, steward, dataset, tmp_path) -> None:
    rows = [*GOOD, ("赵七", BAD_CHECKSUM, "女", "1992-02-02", "13600000000", "杭州市拱墅区湖墅南路3号"),
            ("钱八", "", "男", "1980-01-01", "13300000000", "杭州市滨江区江南大道4号")]
    load = ingest.ingest(session, steward, "hz_residents", write_csv(tmp_path / "p.csv", rows))
    assert load.state == "committed" and load.version == 1
    assert load.rows_in == 6 and load.accepted + load.quarantined == load.rows_in
    assert load.quarantined == 2
    assert load.reasons == {"公民身份号码:checksum": 1, "公民身份号码:missing": 1}
    assert load.mapping["公民身份号码"] == "citizen_id" and load.mapping["手机号码"] == "mobile"
    ds = ingest.get_dataset(session, "hz_residents")
    assert ds.current_version == 1 and ds.row_count == 4
    assert ds.grade == "L4"  # 就高从严: the ID number is L4
    with governance_wh().connect() as con:
        got = con.execute(
            f"SELECT 姓名, 出生日期, 手机号码 FROM {governance.clean_ref(ds, 1)} ORDER BY _record").fetchall()
    assert got[0] == ("张三", "1990-08-05", "13812345678")
    assert got[1][1:] == ("1985-03-12", "13912345678")  # dates and full-width digits normalised
    assert got[3][0] == "陈六"  # traditional form simplified for person names


def governance_wh() -> Warehouse:
    return get_warehouse()


def test_same_file_again_is_a_no_op_and_a_changed_file_is_a_new_version(session, steward, dataset, tmp_path) -> None:
    path = write_csv(tmp_path / "p.csv", list(GOOD))
    first = ingest.ingest(session, steward, "hz_residents", path)
    again = ingest.ingest(session, steward, "hz_residents", path)
    assert again.state == "unchanged" and again.version == first.version == 1
    second = ingest.ingest(session, steward, "hz_residents", write_csv(tmp_path / "q.csv", list(GOOD[:2])))
    assert second.version == 2 and ingest.get_dataset(session, "hz_residents").row_count == 2


def test_the_confirmed_mapping_is_remembered_for_the_next_load(session, steward, dataset, tmp_path) -> None:
    load = ingest.stage(session, steward, "hz_residents", write_csv(tmp_path / "p.csv", list(GOOD)))
    ingest.commit(session, steward, load.id, {"住址": None})  # the steward says: not an address element
    nxt = ingest.stage(session, steward, "hz_residents", write_csv(tmp_path / "q.csv", list(GOOD[:3])))
    assert nxt.suggestions["住址"]["element"] is None and nxt.suggestions["住址"]["source"] == "remembered"
    assert nxt.suggestions["姓名"]["element"] == "person_name"


def test_another_department_may_not_load_or_read(session, dataset, actor_of, tmp_path) -> None:
    path = write_csv(tmp_path / "p.csv", list(GOOD))
    with pytest.raises(PermissionDenied):
        ingest.stage(session, actor_of("hz_civil_steward"), "hz_residents", path)


def test_rows_are_masked_in_the_serving_sql(session, steward, dataset, tmp_path, actor_of) -> None:
    ingest.ingest(session, steward, "hz_residents", write_csv(tmp_path / "p.csv", list(GOOD)))
    approver = actor_of("hz_police_approver")
    rows = warehouse.read_rows(session, approver, "hz_residents", limit=10)
    assert rows.masked
    first = dict(zip(rows.columns, rows.rows[0], strict=True))
    assert first["公民身份号码"] == GOOD[0][1][:6] + "********" + GOOD[0][1][-4:]
    assert first["姓名"] == "张*" and first["手机号码"] == "138****5678"
    assert first["住址"] == "浙江省杭州市西湖区"
    assert "********" not in rows.sql and "公民身份号码" in rows.sql  # masking is an expression in the SELECT
    flat = {str(v) for r in rows.rows for v in r}
    assert not any(g[1] in flat for g in GOOD)  # no unmasked ID left the warehouse
    with pytest.raises(PermissionDenied):
        warehouse.read_rows(session, approver, "hz_residents", unmasked=True)
    raw = warehouse.read_rows(session, steward, "hz_residents", unmasked=True)
    assert GOOD[0][1] in {str(v) for r in raw.rows for v in r}
    with pytest.raises(PermissionDenied):
        warehouse.read_rows(session, actor_of("hz_civil_officer"), "hz_residents")
    reads = session.query(AuditRecord).filter(AuditRecord.action == "dataset.rows.read").count()
    assert reads == 2


def test_problem_rows_become_work_items_closed_by_a_clean_reload(session, steward, dataset, tmp_path) -> None:
    bad = ("赵七", BAD_CHECKSUM, "女", "1992-02-02", "13600000000", "杭州市拱墅区湖墅南路3号")
    wrong_birth = ("孙九", make_id("330106", "19900101", "111"), "男", "1991-01-01", "13800000001", "杭州市西湖区")
    ingest.ingest(session, steward, "hz_residents", write_csv(tmp_path / "p.csv", [*GOOD, bad, wrong_birth]))
    items = {i.problem: i for i in quality.list_issues(session, steward, dataset="hz_residents")}
    assert items["quarantine:公民身份号码:checksum"].rows == 1
    consistency = [i for p, i in items.items() if p.startswith("rule:citizen_id.birth_date")]
    assert consistency and consistency[0].rows == 1 and consistency[0].state == "open"
    issue = items["quarantine:公民身份号码:checksum"]
    columns, rows = quality.issue_rows(session, steward, issue.id)
    assert len(rows) == 1 and BAD_CHECKSUM in str(rows[0])
    quality.respond(session, steward, issue.id, "已按户籍底册更正")
    assert issue.state == "resubmitted"
    ingest.ingest(session, steward, "hz_residents", write_csv(tmp_path / "q.csv", list(GOOD)))
    session.refresh(issue)
    assert issue.state == "closed"
    assert ingest.get_dataset(session, "hz_residents").quality_score == 100.0


def test_a_grade_override_is_audited_and_survives_reloads(session, steward, dataset, tmp_path) -> None:
    ingest.ingest(session, steward, "hz_residents", write_csv(tmp_path / "p.csv", list(GOOD)))
    ds = ingest.get_dataset(session, "hz_residents")
    governance.override_grade(session, steward, ds, "性别", "L1", "性别单独不能识别个人")
    ingest.ingest(session, steward, "hz_residents", write_csv(tmp_path / "q.csv", list(GOOD[:3])))
    field = next(f for f in ds.fields if f.column == "性别")
    assert field.grade == "L1" and field.detected_grade == "L2" and field.override_reason
    assert session.query(AuditRecord).filter(AuditRecord.action == "dataset.grade.override").count() == 1


def test_a_derived_dataset_inherits_the_highest_grade_of_its_sources(session, steward, dataset, tmp_path,
                                                                     actor_of) -> None:
    ingest.ingest(session, steward, "hz_residents", write_csv(tmp_path / "p.csv", list(GOOD)))
    authority = actor_of("zj_bigdata_steward")
    derived = warehouse.derive(
        session, authority, code="hz_residents_by_gender", name="按性别统计",
        sql="SELECT 性别, count(*) AS 人数, min(公民身份号码) AS 样例号码 FROM {hz_residents} GROUP BY 1",
        column_sources={"性别": ["hz_residents.性别"], "样例号码": ["hz_residents.公民身份号码"]},
        grade_reasons={"性别": ("L1", "汇总后的性别分布不能识别个人")})
    grades = {f.column: f.grade for f in derived.fields}
    assert grades["样例号码"] == "L4" and grades["性别"] == "L1" and grades["人数"] == "L1"
    assert derived.grade == "L4"
    graph = warehouse.lineage(session, authority, "hz_residents_by_gender")
    assert {"source": "hz_residents", "target": "hz_residents_by_gender", "source_column": "公民身份号码",
            "target_column": "样例号码"} in graph["edges"]


def test_committing_twice_is_refused(session, steward, dataset, tmp_path) -> None:
    load = ingest.stage(session, steward, "hz_residents", write_csv(tmp_path / "p.csv", list(GOOD)))
    ingest.commit(session, steward, load.id)
    with pytest.raises(Conflict):
        ingest.commit(session, steward, load.id)


def test_a_unit_in_the_header_scales_amounts(session, steward, tmp_path) -> None:
    ingest.ensure_dataset(session, steward, ingest.DatasetSpec(code="hz_capital", name="注册资本",
                                                               department="330100-public_security"))
    path = tmp_path / "c.csv"
    path.write_text('企业名称,注册资本(万元),补贴(元)\n甲公司,12.5,"1,234.50"\n乙公司,100,8元\n'
                    '丙公司,19.9万元,1\n丁公司,3000元,2\n', encoding="utf-8")
    load = ingest.ingest(session, steward, "hz_capital", path,
                         mapping={"注册资本(万元)": "amount", "补贴(元)": "amount"})
    ds = ingest.get_dataset(session, "hz_capital")
    with get_warehouse().connect() as con:
        got = con.execute(f"SELECT \"注册资本(万元)\", \"补贴(元)\" FROM {governance.clean_ref(ds, load.version)} "
                          "ORDER BY _record").fetchall()
    # a cell with its own unit is not scaled again by the header's
    assert got == [("125000", "1234.5"), ("1000000", "8"), ("199000", "1"), ("3000", "2")]


def test_an_override_moves_the_national_level_with_the_grade(session, steward, dataset, tmp_path) -> None:
    ingest.ingest(session, steward, "hz_residents", write_csv(tmp_path / "p.csv", list(GOOD)))
    ds = ingest.get_dataset(session, "hz_residents")
    governance.override_grade(session, steward, ds, "性别", "L1", "性别单独不能识别个人")
    field = next(f for f in ds.fields if f.column == "性别")
    assert (field.grade, field.gb_level) == ("L1", "general_1")
    assert "每日" not in field.tags.get("data_management", []) or "不定期" not in field.tags.get("data_management", [])
    governance.override_grade(session, steward, ds, "性别", None, "")
    assert (field.grade, field.gb_level) == ("L2", "general_2")
