"""The datasets this application brings to the platform (the six high-frequency matters of village power, the
village cadre roster and the enterprises' shareholders), each owned by the department that keeps it, with the
data element of each column and how its people and enterprises take part in entity linkage (一人一档/一企一档).

They are handed over through the platform's ingestion like any department's file (`demo.load_datasets`), and
the collision rules (data/rules.yaml) read their current clean tables.
"""

from __future__ import annotations

from dataclasses import dataclass, field

PROVINCE = "330000"


@dataclass(frozen=True)
class EntityRole:
    """How one kind of entity in a dataset's rows is linked: its attribute -> column map, the role it plays
    in the row (the link tables' `role`) and which rows hold it."""

    kind: str  # person | enterprise
    role: str
    label: str
    columns: dict[str, str]
    row_filter: str = ""


@dataclass(frozen=True)
class DatasetDef:
    code: str
    name: str
    name_en: str
    description: str
    department_kind: str  # the owner department's kind, at the province
    filename: str
    mapping: dict[str, str | None]  # header -> data element (None for a free field)
    key: tuple[str, ...]
    entities: tuple[EntityRole, ...] = field(default_factory=tuple)
    update_frequency: str = "每日"

    @property
    def headers(self) -> tuple[str, ...]:
        return tuple(self.mapping)

    @property
    def department(self) -> str:
        return f"{PROVINCE}-{self.department_kind}"


PLACE = {"县区代码": "region_code", "乡镇(街道)": None, "村(社区)": None}


def _d(code: str, name: str, name_en: str, description: str, kind: str, mapping: dict[str, str | None],
       key: tuple[str, ...], *entities: EntityRole, frequency: str = "每日") -> DatasetDef:
    return DatasetDef(code, name, name_en, description, kind, f"{code}.csv", mapping, key, entities, frequency)


DATASETS: dict[str, DatasetDef] = {d.code: d for d in (
    _d("gps_village_cadre", "村干部名册", "Village cadre roster",
       "村（社区）党组织和村（居）民委员会成员名册：姓名、公民身份号码、职务、任职日期、联系电话", "civil_affairs",
       {**PLACE, "姓名": "person_name", "公民身份号码": "citizen_id", "性别": "gender", "职务": None,
        "任职日期": "date", "联系电话": "mobile"},
       ("县区代码", "乡镇(街道)", "村(社区)", "公民身份号码", "职务"),
       EntityRole("person", "村干部", "村干部（民政）", {"citizen_id": "公民身份号码", "name": "姓名", "gender": "性别",
                                                   "mobile": "联系电话"}),
       frequency="不定期"),
    _d("gps_village_project", "村级工程项目招投标与合同", "Village projects: tender, award, contract",
       "村级工程项目的招标方式、中标单位、合同金额与签订日期（农村集体“三资”管理平台）", "agriculture",
       {"项目编号": None, "项目名称": None, **PLACE, "项目类别": None, "招标方式": None, "招标日期": "date",
        "中标单位": "enterprise_name", "中标单位统一社会信用代码": "uscc", "中标日期": "date", "合同编号": None,
        "合同金额(元)": "amount", "合同签订日期": "date", "项目负责人": "person_name"},
       ("项目编号",),
       EntityRole("enterprise", "中标单位", "村级工程中标（三资平台）",
                  {"uscc": "中标单位统一社会信用代码", "name": "中标单位"})),
    _d("gps_contract_payment", "村级合同收付款台账", "Village contract payments",
       "村级工程款支付与承包费、租金收取的分期台账：应收付日期与金额、实收付日期与金额、台账截止日期", "agriculture",
       {"台账编号": None, "合同编号": None, "合同名称": None, **PLACE, "款项类别": None, "收付方向": None,
        "对方名称": None, "期次": None, "应收付日期": "date", "应收付金额(元)": "amount", "实收付日期": "date",
        "实收付金额(元)": "amount", "台账截止日期": "date"},
       ("台账编号",)),
    _d("gps_labour_sheet", "村级劳务用工单", "Village hired-labour sheets",
       "村集体雇用零星劳务的用工单：用工事项、人员、出工天数、日工资与发放金额", "agriculture",
       {"用工单号": None, **PLACE, "用工事项": None, "用工日期": "date", "姓名": "person_name",
        "身份证号": "citizen_id", "出工天数": None, "日工资(元)": "amount", "发放金额(元)": "amount",
        "发放日期": "date", "经办人": "person_name"},
       ("用工单号", "身份证号"),
       EntityRole("person", "劳务人员", "村级劳务用工（三资平台）", {"citizen_id": "身份证号", "name": "姓名"})),
    _d("gps_asset_lease", "集体资产资源租赁", "Leases of collective assets and resources",
       "村集体耕地、山林、鱼塘、房屋等资产资源的出租合同：面积、年租金、当地市场参考价、承租方", "agriculture",
       {"租赁合同编号": None, **PLACE, "资产资源名称": None, "资产类别": None, "计量单位": None, "面积": None,
        "承租方": None, "承租方类型": None, "承租方证件号码": "citizen_id", "承租方统一社会信用代码": "uscc",
        "年租金(元)": "amount", "市场参考价(元/单位·年)": "amount", "租赁起始日期": "date",
        "租赁终止日期": "date", "交易方式": None},
       ("租赁合同编号",),
       EntityRole("person", "承租人", "集体资产承租（三资平台）", {"citizen_id": "承租方证件号码", "name": "承租方"},
                  "\"承租方证件号码\" IS NOT NULL"),
       EntityRole("enterprise", "承租单位", "集体资产承租（三资平台）",
                  {"uscc": "承租方统一社会信用代码", "name": "承租方"}, "\"承租方统一社会信用代码\" IS NOT NULL")),
    _d("gps_relief_payment", "救助补助资金发放明细", "Relief and subsidy payments",
       "最低生活保障以外的社会救助和惠农补贴发放明细：类别、领取人、所属期、金额、发放日期", "civil_affairs",
       {"发放编号": None, **PLACE, "救助类别": None, "领取人": "person_name", "身份证号": "citizen_id",
        "所属期": None, "发放金额(元)": "amount", "发放日期": "date", "发放批次": None},
       ("发放编号",),
       EntityRole("person", "救助对象", "救助补助领取（民政）", {"citizen_id": "身份证号", "name": "领取人"}),
       frequency="每月"),
    _d("gps_procurement", "村级采购", "Village procurement",
       "村集体物资和服务采购：采购事项、方式、供应商、金额、日期", "agriculture",
       {"采购单号": None, **PLACE, "采购事项": None, "采购方式": None, "供应商": "enterprise_name",
        "供应商统一社会信用代码": "uscc", "采购金额(元)": "amount", "采购日期": "date", "经办人": "person_name"},
       ("采购单号",),
       EntityRole("enterprise", "供应商", "村级采购供应商（三资平台）",
                  {"uscc": "供应商统一社会信用代码", "name": "供应商"})),
    _d("gps_seal_use", "村级印章使用登记", "Village seal use",
       "村党组织、村委会和经济合作社印章的用印申请、事由、审批与用印时间", "agriculture",
       {"用印编号": None, **PLACE, "印章名称": None, "申请人": "person_name", "用印事由": None, "用印时间": None,
        "审批人": "person_name", "审批时间": None, "监印人": "person_name"},
       ("用印编号",)),
    _d("gps_shareholder", "企业股东及出资信息", "Enterprise shareholders",
       "公司股东（发起人）及出资信息：股东名称、类型、证件号码、认缴出资额与持股比例", "market_regulation",
       {"统一社会信用代码": "uscc", "企业名称": "enterprise_name", "股东名称": None, "股东类型": None,
        "股东证件号码": "citizen_id", "认缴出资额(元)": "amount", "持股比例(%)": None},
       ("统一社会信用代码", "股东名称"),
       EntityRole("person", "股东", "企业股东（市场监管）", {"citizen_id": "股东证件号码", "name": "股东名称"},
                  "\"股东类型\" = '自然人'"),
       EntityRole("enterprise", "被投资企业", "股东出资（市场监管）",
                  {"uscc": "统一社会信用代码", "name": "企业名称"})),
)}
