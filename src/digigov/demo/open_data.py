"""Open datasets of the demo (开放): statistics and public notices derived from the departments' data, each
column's lineage named, so that the open-data portal has graded-1 data to show. What a data bureau would
publish first: counts and sums by region and category, and licence notices (许可公示) without the holder's
personal data. The grades are the classifier's, propagated from the source columns; nothing is forced open.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy.orm import Session

from digigov.identity import service as identity
from digigov.identity.actor import Actor
from digigov.platform.warehouse import service as warehouse


@dataclass(frozen=True)
class OpenSpec:
    code: str
    name: str
    name_en: str
    description: str
    owner: str  # department code
    sql: str
    lineage: dict[str, list[str]]
    grades: dict[str, tuple[str, str]] = field(default_factory=dict)  # a steward's grade, with the reason
    frequency: str = "每月"  # rebuilt when its sources load; published monthly


SPECS = (
    OpenSpec(
        "open_enterprise_stats", "市场主体登记统计（按行业、类型和登记状态）",
        "Registered enterprises by industry, type and status",
        "市场监管部门企业登记信息的汇总：各行业、企业类型和登记状态的市场主体数与注册资本合计（万元）。",
        "330000-market_regulation",
        'SELECT "所属行业", "企业类型", "登记状态", count(*) AS "市场主体数", '
        'round(sum(TRY_CAST("注册资本(万元)" AS DOUBLE)), 2) AS "注册资本合计(万元)" '
        'FROM {mr_enterprise} GROUP BY ALL ORDER BY ALL',
        {"所属行业": ["mr_enterprise.所属行业"], "企业类型": ["mr_enterprise.企业类型"],
         "登记状态": ["mr_enterprise.登记状态"]},
    ),
    OpenSpec(
        "open_subsistence_by_town", "最低生活保障发放统计（按县区和乡镇街道）",
        "Subsistence allowance paid, by county and town",
        "民政部门低保发放名册的汇总：各县区、乡镇（街道）的发放户次与保障金额合计（元）。",
        "330000-civil_affairs",
        'SELECT "县区代码", "乡镇(街道)", count(*) AS "发放户次", '
        'round(sum(TRY_CAST("保障金额(元/月)" AS DOUBLE)), 2) AS "保障金额合计(元)" '
        'FROM {ca_subsistence} GROUP BY ALL ORDER BY ALL',
        {"县区代码": ["ca_subsistence.县区代码"], "乡镇(街道)": ["ca_subsistence.乡镇(街道)"]},
    ),
    OpenSpec(
        "open_food_licence_notice", "食品经营许可公示", "Food-business licences granted (public notice)",
        "食品经营许可证发证公示：许可证编号、经营者名称、主体业态、经营项目、发证日期、有效期和发证机关"
        "（不含法定代表人和经营场所）。",
        "330000-market_regulation",
        'SELECT "许可证编号", "经营者名称", "主体业态", "经营项目", "发证日期", "有效期至", "发证机关" '
        'FROM {mr_food_licence} ORDER BY "发证日期" DESC, "许可证编号"',
        {c: [f"mr_food_licence.{c}"] for c in ("许可证编号", "经营者名称", "主体业态", "经营项目", "发证日期",
                                                "有效期至", "发证机关")},
        {"发证机关": ("L1", "发证机关是行政机关的名称，随许可决定依法公示（《行政许可法》第四十条）")},
        frequency="每周",
    ),
)


def build(session: Session, actor: Actor) -> dict[str, int]:
    """Derive (or refresh) the demo's open datasets; rows per dataset. Idempotent."""
    out = {}
    for spec in SPECS:
        owner = identity.get_department(session, spec.owner)
        ds = warehouse.derive(session, actor, code=spec.code, name=spec.name, name_en=spec.name_en,
                              description=spec.description, sql=spec.sql, column_sources=spec.lineage,
                              grade_reasons=spec.grades,
                              owner_department=owner.id)
        ds.update_frequency = spec.frequency
        out[spec.code] = ds.row_count
    return out
