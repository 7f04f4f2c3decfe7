"""The demo departments hand over their data (归集) through the same ingestion path a department would use:
files generated with known noise (`demo.govdata`), loaded with the departments' confirmed mappings, then one
derived dataset with lineage (medical-insurance claims settled for people registered as dead before the
visit: a cross-department collision of 医保 and 民政 data).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from digigov.demo import govdata, open_data
from digigov.identity.actor import Actor
from digigov.platform.ingest import service as ingest
from digigov.platform.quality import service as quality
from digigov.platform.quality.model import QualityRule
from digigov.platform.warehouse import service as warehouse

Progress = Callable[[str, int, int], None]
STEP = "department_data"  # the builder's step name

AFTER_DEATH = "topic_claims_after_death"
AFTER_DEATH_SQL = (
    'SELECT c."结算单号", c."参保人姓名", c."证件号码", c."就诊日期", d."死亡日期", c."医疗机构", c."总金额", '
    'c."统筹支付" FROM {ms_claim} c JOIN {ca_death} d ON c."证件号码" = d."身份证号码" '
    'WHERE d."死亡日期" < c."就诊日期"'
)
AFTER_DEATH_LINEAGE = {
    "结算单号": ["ms_claim.结算单号"],
    "参保人姓名": ["ms_claim.参保人姓名"],
    "证件号码": ["ms_claim.证件号码", "ca_death.身份证号码"],
    "就诊日期": ["ms_claim.就诊日期"],
    "死亡日期": ["ca_death.死亡日期"],
    "医疗机构": ["ms_claim.医疗机构"],
    "总金额": ["ms_claim.总金额"],
    "统筹支付": ["ms_claim.统筹支付"],
}


# Dataset-level quality rules the demo departments' stewards wrote (data, like every rule): duplicates in the
# household register, and employers / licence holders that the enterprise registry does not know.
RULES = (
    """id: ps_household.id_unique
name: 户籍人口公民身份号码不重复
name_en: One household record per citizen ID
kind: uniqueness
dataset: ps_household
field: 公民身份号码
severity: high""",
    """id: hr_contribution.employer_registered
name: 缴费单位在企业登记中存在
name_en: The paying employer is in the enterprise registry
kind: referential
dataset: hr_contribution
field: 单位统一社会信用代码
params: {dataset: mr_enterprise, column: 统一社会信用代码}
severity: medium""",
    """id: mr_food_licence.holder_registered
name: 许可证持有人在企业登记中存在
name_en: The licence holder is in the enterprise registry
kind: referential
dataset: mr_food_licence
field: 统一社会信用代码
params: {dataset: mr_enterprise, column: 统一社会信用代码}
severity: medium""",
)


def _ensure_rules(session: Session, actor: Actor) -> None:
    """Save and enable the demo's dataset rules once (a rerun leaves them, and their versions, alone)."""
    known = set(session.scalars(select(QualityRule.rule_id)))
    for text in RULES:
        rule_id = text.split("\n", 1)[0].removeprefix("id: ").strip()
        if rule_id not in known:
            quality.save_rule(session, actor, text)
            quality.set_enabled(session, actor, rule_id, True)


@dataclass
class DataReport:
    size: str
    loads: dict[str, dict[str, int | str]] = field(default_factory=dict)  # dataset -> state, rows in/accepted/...
    derived: dict[str, int] = field(default_factory=dict)  # derived dataset -> rows


def _noop(_step: str, _done: int, _total: int) -> None:
    return None


def load(session: Session, actor: Actor, *, size: str, seed: int, directory: Path,
         progress: Progress | None = None) -> DataReport:
    """Generate (deterministically) and load the demo departments' files. Idempotent: the same files load as
    unchanged."""
    step = progress or _noop
    step(STEP, 0, 1)
    data = govdata.generate(directory, size=size, seed=seed)
    report = DataReport(size=size)
    total = len(data.files) + 2  # generation, each file, the derived dataset
    for f in data.files:
        ingest.ensure_dataset(session, actor, ingest.DatasetSpec(
            code=f.dataset, name=f.name, name_en=f.name_en, description=f.description,
            department=f"{f.region_code}-{f.department_kind}", update_frequency=f.update_frequency,
            key_columns=list(f.key)))
    _ensure_rules(session, actor)
    for i, f in enumerate(data.files):
        step(STEP, i + 1, total)
        result = ingest.ingest(session, actor, f.dataset, f.path, mapping=dict(f.mapping), file_name=f.path.name)
        report.loads[f.dataset] = {"state": result.state, "rows_in": result.rows_in, "accepted": result.accepted,
                                   "quarantined": result.quarantined}
    step(STEP, total - 1, total)
    derived = warehouse.derive(
        session, actor, code=AFTER_DEATH, name="死亡后仍发生的医保结算", name_en="Claims settled after death",
        description="医保结算与民政死亡登记碰撞：就诊日期晚于死亡日期的结算（数据碰撞示例，含血缘）",
        sql=AFTER_DEATH_SQL, column_sources=AFTER_DEATH_LINEAGE)
    report.derived[AFTER_DEATH] = derived.row_count
    report.derived.update(open_data.build(session, actor))  # statistics and notices for the open-data portal
    step(STEP, total, total)
    return report
