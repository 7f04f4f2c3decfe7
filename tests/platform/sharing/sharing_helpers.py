"""Sharing test helpers: a dataset with graded fields made straight in the store and the warehouse (the way a
committed load leaves them), the web app on the test's connection, and the request -> approve path."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session
from tests.conftest import make_app  # noqa: F401  (re-exported for the tests here)

from digigov.core.clock import utcnow
from digigov.core.warehouse import get_warehouse, ident, table_ref
from digigov.identity.actor import Actor
from digigov.identity.model import Department
from digigov.platform.catalog import service as catalog
from digigov.platform.sharing import service as sharing
from digigov.platform.sharing.model import Grant, ShareRequest
from digigov.platform.standards import scheme
from digigov.platform.warehouse.model import Dataset, DatasetField

OWNER = "330100-public_security"  # 杭州市公安局: hz_police_steward, hz_police_approver
CONSUMER = "hz_civil_officer"  # 杭州市民政局
STEWARD = "hz_police_steward"
AUTHORITY = "hz_bigdata_approver"  # 杭州市数据资源管理局, the data authority covering Hangzhou




@dataclass(frozen=True)
class Col:
    name: str
    grade: str = "L1"
    sql_type: str = "VARCHAR"
    element: str | None = None


def make_dataset(session: Session, code: str, cols: Sequence[Col], rows: Sequence[Sequence[object]], *,
                 owner: str = OWNER, version: int = 1) -> Dataset:
    op = Actor.operator()
    dept = session.scalar(select(Department).where(Department.code == owner))
    assert dept is not None, owner
    resource = catalog.create_resource(session, op, kind="dataset", name=code, owner_department=dept.id,
                                       description=code)
    fields = [DatasetField(position=i, column=c.name, header=c.name, grade=c.grade, detected_grade=c.grade,
                           gb_level=scheme.gb_for(c.grade), element_id=c.element, mapping_confirmed=True)
              for i, c in enumerate(cols)]
    ds = Dataset(code=code, name=code, owner_department_id=dept.id, owner=dept, resource_id=resource.id,
                 resource=resource, current_version=version, row_count=len(rows),
                 grade=scheme.max_grade(c.grade for c in cols), last_load_at=utcnow())
    ds.fields = fields
    session.add(ds)
    session.flush()
    table = table_ref("clean", f"{code}__v{version}")
    with get_warehouse().connect() as con:
        con.execute(f"CREATE OR REPLACE TABLE {table} (_record BIGINT, "
                    + ", ".join(f"{ident(c.name)} {c.sql_type}" for c in cols) + ")")
        if rows:
            marks = ", ".join("?" for _ in range(len(cols) + 1))
            con.executemany(f"INSERT INTO {table} VALUES ({marks})", [[i + 1, *r] for i, r in enumerate(rows)])
    return ds


# 杭州市人口基础信息 (a small one): grades and data elements as the classifier gives them
PEOPLE_COLS = [
    Col("id_number", "L4", element="citizen_id"),
    Col("name", "L3", element="person_name"),
    Col("phone", "L2", element="mobile"),
    Col("region_code", "L1"),
    Col("age", "L1", "INTEGER"),
    Col("address", "L2", element="address"),
]
PEOPLE_ROWS = [
    ["330106199001011234", "欧阳娜娜", "13812345678", "330106", 36, "浙江省杭州市西湖区文三路100号"],
    ["330102198505052345", "张伟", "13900001111", "330102", 41, "浙江省杭州市上城区解放路1号"],
    ["330106200010103456", "李娜", "13700002222", "330106", 25, "浙江省杭州市西湖区天目山路5号"],
    ["330108197712124567", "王强", "13600003333", "330108", 49, "浙江省杭州市滨江区江南大道8号"],
    ["330106196003035678", "赵敏", "13500004444", "330106", 66, "浙江省杭州市西湖区古墩路9号"],
]


def people(session: Session, code: str = "hz_people") -> Dataset:
    return make_dataset(session, code, PEOPLE_COLS, PEOPLE_ROWS)


def in_days(n: int) -> date:
    return date.today() + timedelta(days=n)


def grant_for(session: Session, actor_of: Any, code: str, fields: Sequence[str], *,
              consumer: str = CONSUMER, unmasked: Sequence[str] = (), row_filter: Sequence[dict[str, Any]] = (),
              channel: str = "api", quota: int | None = None, rate: int | None = None,
              expires: object = None) -> Grant:
    """Request as `consumer`, approve as the owner's steward (and the authority when L3 is named)."""
    req = sharing.submit_request(session, actor_of(consumer), dataset=code, purpose="测试用途", fields=list(fields),
                                 unmasked=list(unmasked), row_filter=list(row_filter), channel=channel,
                                 expires=expires or in_days(30), quota_rows_per_day=quota, rate_per_minute=rate)
    sharing.decide(session, actor_of(STEWARD), req.id, approve=True)
    if req.state == "authority_review":
        sharing.decide(session, actor_of(AUTHORITY), req.id, approve=True)
    assert req.state == "granted", req.state
    grant = sharing.grant_of(session, req)
    assert grant is not None
    return grant


def request_of(session: Session, request_id: int) -> ShareRequest:
    req = session.get(ShareRequest, request_id)
    assert req is not None
    return req
