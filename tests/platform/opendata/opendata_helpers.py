"""Open-data test helpers: datasets with chosen field grades, made straight in the store and the warehouse
(the way a committed load leaves them), so a test can set any grade, including an inconsistent one."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session
from tests.conftest import make_app  # noqa: F401  (re-exported for the tests here)

from digigov.core.clock import utcnow
from digigov.core.warehouse import get_warehouse, ident, table_ref
from digigov.identity.actor import Actor
from digigov.identity.model import Department
from digigov.platform.catalog import service as catalog
from digigov.platform.standards import scheme
from digigov.platform.warehouse.model import Dataset, DatasetField

OWNER = "330100-public_security"  # 杭州市公安局, whose steward is hz_police_steward




@dataclass(frozen=True)
class Col:
    name: str
    grade: str = "L1"
    sql_type: str = "VARCHAR"
    gb_level: str | None = None


def make_dataset(session: Session, code: str, cols: Sequence[Col], rows: Sequence[Sequence[object]], *,
                 grade: str | None = None, owner: str = OWNER, name: str | None = None, name_en: str = "",
                 description: str = "", tags: Sequence[str] = (), system: str | None = None,
                 frequency: str = "每日", status: str = "online", attributes: dict[str, object] | None = None,
                 version: int = 1) -> Dataset:
    """A dataset whose current version holds `rows`; its grade is the fields' highest unless `grade` says."""
    op = Actor.operator()
    dept = session.scalar(select(Department).where(Department.code == owner))
    assert dept is not None, owner
    resource = catalog.create_resource(session, op, kind="dataset", name=name or code, name_en=name_en,
                                       owner_department=dept.id, description=description or (name or code),
                                       tags=list(tags), system=system, attributes=dict(attributes or {}))
    resource.status = status
    fields = [DatasetField(position=i, column=c.name, header=c.name, grade=c.grade, detected_grade=c.grade,
                           gb_level=c.gb_level or scheme.gb_for(c.grade), mapping_confirmed=True)
              for i, c in enumerate(cols)]
    ds = Dataset(code=code, name=name or code, name_en=name_en, description=description,
                 owner_department_id=dept.id, owner=dept, resource_id=resource.id, resource=resource,
                 update_frequency=frequency, current_version=version, row_count=len(rows),
                 grade=grade or scheme.max_grade(c.grade for c in cols), last_load_at=utcnow())
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


# A public-notice dataset (公示) of food-business licences: every field grade 1.
LICENCE_COLS = [Col("许可证编号"), Col("经营者名称"), Col("主体业态"), Col("发证日期", sql_type="DATE"),
                Col("注册资本", "L1", "DOUBLE")]
# The licence register's personal fields (grade 3): never open, whatever the dataset's grade says.
PERSONAL_COLS = [Col("法定代表人", "L3"), Col("经营场所", "L3")]


def licence_rows(n: int = 30, *, personal: bool = False) -> list[list[object]]:
    kinds = ["餐饮服务", "食品销售", "单位食堂"]
    out: list[list[object]] = []
    for i in range(1, n + 1):
        row: list[object] = [f"JY133010{i:06d}", f"杭州{i}号餐饮有限公司", kinds[i % 3],
                             f"2026-0{1 + i % 9}-1{i % 10}", 100.0 + i]
        out.append([*row, f"法人{i}号", f"杭州市西湖区文三路{i}号"] if personal else row)
    return out
