"""The departments' datasets the application reads, each handed over (归集) by the Huzhou department that holds it.

Headers are Chinese, as the departments write them; each is bound to a data element or left free. Town and street
codes (9 digits) are free fields: the region-code element is the 6-digit GB/T 2260 code of a county.
"""

from __future__ import annotations

from dataclasses import dataclass

CITY = "330500"


@dataclass(frozen=True)
class DatasetSpec:
    code: str
    name: str
    name_en: str
    description: str
    department_kind: str  # the owner department's kind, in Huzhou
    update_frequency: str
    mapping: dict[str, str | None]  # header -> data element (None: a free field)
    key: tuple[str, ...]

    @property
    def department(self) -> str:
        return f"{CITY}-{self.department_kind}"

    @property
    def headers(self) -> tuple[str, ...]:
        return tuple(self.mapping)

    @property
    def filename(self) -> str:
        return f"{self.code}.csv"


PLACE = {"县区代码": "region_code", "乡镇街道代码": None}

TOWNS = DatasetSpec(
    "srcl_town", "乡镇（街道）区划与人口", "Towns and streets with their population",
    "湖州市乡镇（街道）统计用区划代码、名称、所属县区、类型、常住人口和网格数", "civil_affairs", "每年",
    {"乡镇街道代码": None, "乡镇街道": None, "县区代码": "region_code", "县区": None, "类型": None, "常住人口": None,
     "网格数": None, "经度": None, "纬度": None},
    ("乡镇街道代码",))
POLICE_INCIDENTS = DatasetSpec(
    "srcl_police_incident", "110接处警警情", "110 police incidents",
    "110接报警情：接警时间、发生地所在乡镇（街道）、警情类别和细类、简要情况和处置结果", "public_security", "每日",
    {"警情编号": None, "接警时间": None, **PLACE, "警情类别": None, "警情细类": None, "简要情况": None,
     "处置结果": None},
    ("警情编号",))
DISPUTES = DatasetSpec(
    "srcl_dispute", "矛盾纠纷排查调处登记", "Disputes registered for mediation",
    "人民调解组织和县乡矛调中心（社会治理中心）登记的矛盾纠纷：类型、涉及人数、调解状态", "justice", "每日",
    {"纠纷编号": None, "登记日期": "date", **PLACE, "纠纷类型": None, "涉及人数": None, "调解状态": None,
     "简要情况": None},
    ("纠纷编号",))
PETITIONS = DatasetSpec(
    "srcl_petition", "信访事项登记", "Petitions registered",
    "信访部门登记的来信、来访、网上信访事项：内容分类、是否重复信访、是否越级", "petitions", "每日",
    {"信访件编号": None, "登记日期": "date", **PLACE, "信访形式": None, "内容分类": None, "是否重复信访": None,
     "是否越级": None, "人数": None},
    ("信访件编号",))
CITY_EVENTS = DatasetSpec(
    "srcl_city_event", "城市运行监测事件", "City-operation monitoring events",
    "城市运行管理服务平台监测和巡查发现的燃气泄漏报警、电梯困人、供水爆管、道路塌陷、积水内涝和房屋安全隐患事件",
    "urban_management", "实时",
    {"事件编号": None, "发生时间": None, **PLACE, "事件类别": None, "地点": "address", "事件描述": None,
     "处置状态": None},
    ("事件编号",))
ENTERPRISE_MONITOR = DatasetSpec(
    "srcl_enterprise_monitor", "企业经营异常监测", "Enterprise operating-difficulty monitoring",
    "规上企业月度经营监测：用电量同比、参保人数环比、纳税申报状态（市场监管汇集电力、人社、税务数据）",
    "market_regulation", "每月",
    {"统一社会信用代码": "uscc", "企业名称": "enterprise_name", **PLACE, "监测月份": None, "用电量同比(%)": None,
     "参保人数环比(%)": None, "纳税申报状态": None},
    ("统一社会信用代码", "监测月份"))
TRANSIT_ALARMS = DatasetSpec(
    "srcl_transit_alarm", "公交客运车辆主动安全报警", "Bus and coach active-safety alarms",
    "公交、客运车辆车载主动安全智能防控系统的疲劳驾驶、超速、分神驾驶等报警（按发生地乡镇街道）", "transport", "实时",
    {"报警编号": None, "报警时间": None, **PLACE, "线路": None, "车牌号": "plate_number", "报警类型": None,
     "报警等级": None},
    ("报警编号",))
WORK_INJURIES = DatasetSpec(
    "srcl_work_injury", "工伤认定", "Work-injury certifications",
    "人力社保部门受理的工伤认定：用人单位、职工、事故发生日期和地点、事故经过、伤情诊断、认定结论", "human_resources",
    "每日",
    {"认定编号": None, "受理日期": "date", "事故发生日期": "date", **PLACE, "用人单位": "enterprise_name",
     "统一社会信用代码": "uscc", "职工姓名": "person_name", "身份证号": "citizen_id", "事故经过": None,
     "伤情诊断": "diagnosis", "认定结论": None},
    ("认定编号",))
SITES = DatasetSpec(
    "srcl_construction_site", "在建工程项目", "Construction projects under way",
    "住建部门监管的在建房屋建筑和市政工程项目：施工总承包单位、所在乡镇（街道）、开工日期、在场工人数",
    "housing", "每日",
    {"项目编号": None, "项目名称": None, "施工总承包单位": "enterprise_name", "统一社会信用代码": "uscc", **PLACE,
     "项目地址": "address", "开工日期": "date", "在场工人数": None, "项目状态": None},
    ("项目编号",))
WAGE_ACCOUNTS = DatasetSpec(
    "srcl_wage_account", "农民工工资专用账户", "Supervised wage accounts of construction projects",
    "在建工程项目开设的农民工工资专用账户（人社部门监管）：账号、开户银行、开户日期、账户状态", "human_resources",
    "每日",
    {"项目编号": None, "专用账户账号": None, "开户银行": None, "开户日期": "date", "账户状态": None},
    ("专用账户账号",))
PAYROLL = DatasetSpec(
    "srcl_payroll_plan", "农民工工资月度支付计划", "Monthly wage-payment plans of construction projects",
    "施工总承包单位按月报送的农民工工资支付计划：工资所属月份、应发人数、应发工资总额、约定发放日期", "human_resources",
    "每月",
    {"项目编号": None, "工资所属月份": None, "应发人数": None, "应发工资总额(元)": "amount", "约定发放日期": "date"},
    ("项目编号", "工资所属月份"))
TRANSFERS = DatasetSpec(
    "srcl_wage_transfer", "农民工工资专用账户代发流水", "Wage transfers from the supervised accounts",
    "开户银行推送的农民工工资专用账户代发工资流水：工资所属月份、代发日期、代发人数、代发金额", "human_resources",
    "每日",
    {"流水号": None, "专用账户账号": None, "工资所属月份": None, "代发日期": "date", "代发人数": None,
     "代发金额(元)": "amount", "代发银行": None},
    ("流水号",))
SAFETY_ENTERPRISES = DatasetSpec(
    "srcl_safety_enterprise", "安全生产重点监管企业名录", "Enterprises under work-safety supervision",
    "应急管理部门安全生产重点监管的工贸、危化等企业：行业、所在乡镇（街道）、地址、从业人数、监管类别",
    "emergency_management", "每月",
    {"统一社会信用代码": "uscc", "企业名称": "enterprise_name", "行业类别": None, **PLACE, "企业地址": "address",
     "从业人数": None, "监管类别": None},
    ("统一社会信用代码",))
SAFETY_FACTS = DatasetSpec(
    "srcl_safety_fact", "企业安全码评价指标数据", "Enterprise safety-code indicator facts",
    "企业安全码15项基础、4项加分、3项扣分、4项一票否决指标的取值（应急管理汇集市场监管、消防、人社、卫健、信访数据）",
    "emergency_management", "每月",
    {"统一社会信用代码": "uscc", "指标代码": None, "指标值": None, "数据来源": None, "采集日期": "date"},
    ("统一社会信用代码", "指标代码"))

ALL: tuple[DatasetSpec, ...] = (TOWNS, POLICE_INCIDENTS, DISPUTES, PETITIONS, CITY_EVENTS, ENTERPRISE_MONITOR,
                                TRANSIT_ALARMS, WORK_INJURIES, SITES, WAGE_ACCOUNTS, PAYROLL, TRANSFERS,
                                SAFETY_ENTERPRISES, SAFETY_FACTS)
BY_CODE = {d.code: d for d in ALL}
