"""What the demo departments hand over: one :class:`Spec` per file (name, owner, format, headers, the data
element of each header, the record key, the noise roles) and the public result types of :func:`generate`."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from digigov.demo.govdata.noise import Roles

SIZES: dict[str, int] = {"small": 2_000, "medium": 100_000, "large": 1_000_000}  # people
PROVINCE = "330000"


@dataclass
class DemoFile:
    dataset: str  # ps_household, ca_death, ca_subsistence, mr_enterprise, mr_food_licence, hr_contribution, ...
    name: str
    name_en: str
    description: str
    department_kind: str  # the owner department's kind (department_kinds.csv)
    region_code: str  # the owner department's region
    path: Path
    format: str  # csv | tsv | xlsx | json | ndjson | parquet
    encoding: str | None
    update_frequency: str  # 实时 每日 每周 每月 每季度 每年 不定期
    mapping: dict[str, str | None]  # header -> data element id, None for a free field
    key: list[str]  # headers forming the record key
    rows: int


@dataclass
class GeneratedData:
    directory: Path
    size: str
    seed: int
    files: list[DemoFile]
    truth_dir: Path
    people: int
    enterprises: int


@dataclass(frozen=True)
class Spec:
    dataset: str
    name: str
    name_en: str
    description: str
    department_kind: str
    filename: str
    format: str
    encoding: str | None
    update_frequency: str
    mapping: dict[str, str | None]
    key: tuple[str, ...]
    roles: Roles
    scale: float  # noise scale of the department (1.0 = the base rates)
    entity_kind: str  # person / enterprise: what a row is about
    region_code: str = PROVINCE
    sheet: str = ""

    @property
    def headers(self) -> tuple[str, ...]:
        return tuple(self.mapping)


def _spec(dataset: str, name: str, name_en: str, description: str, kind: str, filename: str, fmt: str,
          encoding: str | None, frequency: str, mapping: dict[str, str | None], key: tuple[str, ...], roles: Roles,
          scale: float, entity_kind: str, sheet: str = "") -> Spec:
    return Spec(dataset, name, name_en, description, kind, filename, fmt, encoding, frequency, mapping, key, roles,
                scale, entity_kind, sheet=sheet)


SPECS: dict[str, Spec] = {s.dataset: s for s in (
    _spec("ps_household", "户籍人口信息", "Household registration",
          "公安厅常住户籍人口登记信息（每人一行，按户排列；出生日期为 YYYYMMDD）", "public_security",
          "ps_household.csv", "csv", "utf-8", "每日",
          {"姓名": "person_name", "公民身份号码": "citizen_id", "性别": "gender", "出生日期": "birth_date",
           "户籍地址": "address", "手机号码": "mobile", "户号": None, "与户主关系": None},
          ("公民身份号码",),
          Roles(names=("姓名",), addresses=("户籍地址",), citizen_ids=("公民身份号码",), phones=("手机号码",),
                optional=("性别", "出生日期", "户籍地址", "手机号码"), spaces=("姓名", "公民身份号码", "户籍地址"),
                dates={"出生日期": "compact"}),
          0.6, "person"),
    _spec("ca_death", "死亡登记信息", "Death registrations",
          "民政部门死亡登记（含殡葬火化）；死亡日期、登记日期为 Excel 日期", "civil_affairs",
          "ca_death.xlsx", "xlsx", None, "每日",
          {"姓名": "person_name", "身份证号码": "citizen_id", "性别": "gender", "死亡日期": "death_date",
           "死亡原因": None, "死亡地点": None, "户籍地址": "address", "登记日期": "date", "登记机关": None},
          ("身份证号码",),
          Roles(names=("姓名",), addresses=("户籍地址",), citizen_ids=("身份证号码",),
                optional=("性别", "死亡原因", "死亡地点", "户籍地址"), spaces=("姓名", "身份证号码"),
                dates={"死亡日期": "excel", "登记日期": "excel"}),
          1.5, "person", sheet="死亡登记"),
    _spec("ca_subsistence", "最低生活保障对象", "Subsistence-allowance recipients",
          "城乡最低生活保障（低保）家庭本月发放名册，GBK 编码", "civil_affairs",
          "ca_subsistence.csv", "csv", "gbk", "每月",
          {"户主姓名": "person_name", "身份证号": "citizen_id", "家庭人口": None, "保障金额(元/月)": "amount",
           "发放日期": "date", "村(社区)": None, "乡镇(街道)": None, "县区代码": "region_code"},
          ("身份证号", "发放日期"),
          Roles(names=("户主姓名",), addresses=("村(社区)",), citizen_ids=("身份证号",),
                optional=("家庭人口", "村(社区)", "乡镇(街道)"), spaces=("户主姓名", "身份证号"),
                dates={"发放日期": "cn"}),
          1.5, "person"),
    _spec("mr_enterprise", "企业登记信息", "Enterprise registry",
          "市场主体登记信息（企业、个体工商户、农民专业合作社），UTF-8 带 BOM", "market_regulation",
          "mr_enterprise.csv", "csv", "utf-8-sig", "每日",
          {"统一社会信用代码": "uscc", "企业名称": "enterprise_name", "企业类型": None,
           "法定代表人": "legal_representative", "法定代表人证件号码": "citizen_id", "注册资本(万元)": "amount",
           "成立日期": "date", "登记状态": None, "所属行业": None, "住所": "address", "登记机关": None},
          ("统一社会信用代码",),
          Roles(names=("企业名称", "法定代表人"), addresses=("住所",), citizen_ids=("法定代表人证件号码",),
                usccs=("统一社会信用代码",), optional=("法定代表人证件号码", "注册资本(万元)", "所属行业", "住所"),
                spaces=("企业名称", "统一社会信用代码", "法定代表人"), dates={"成立日期": "iso"}),
          0.8, "enterprise"),
    _spec("mr_food_licence", "食品经营许可证", "Food-business licences",
          "食品经营许可证发证信息（JY + 14 位数字），NDJSON", "market_regulation",
          "mr_food_licence.ndjson", "ndjson", "utf-8", "每周",
          {"许可证编号": "licence_number", "经营者名称": "enterprise_name", "统一社会信用代码": "uscc",
           "法定代表人": "legal_representative", "经营场所": "address", "主体业态": None, "经营项目": None,
           "发证日期": "date", "有效期至": "date", "发证机关": None},
          ("许可证编号",),
          Roles(names=("经营者名称", "法定代表人"), addresses=("经营场所",), usccs=("统一社会信用代码",),
                optional=("法定代表人", "经营场所", "经营项目"), spaces=("经营者名称", "统一社会信用代码"),
                dates={"发证日期": "iso", "有效期至": "iso"}),
          0.8, "enterprise"),
    _spec("hr_contribution", "社会保险缴费信息", "Social-insurance contributions",
          "企业职工社会保险月度缴费明细（2021年6月至8月），GB18030 编码的制表符分隔文件", "human_resources",
          "hr_contribution.tsv", "tsv", "gb18030", "每月",
          {"身份证号": "citizen_id", "姓名": "person_name", "单位名称": "enterprise_name",
           "单位统一社会信用代码": "uscc", "缴费基数": "amount", "缴费月份": None, "险种": None},
          ("身份证号", "单位统一社会信用代码", "缴费月份", "险种"),
          Roles(names=("姓名", "单位名称"), citizen_ids=("身份证号",), usccs=("单位统一社会信用代码",),
                optional=("缴费基数", "单位名称"), spaces=("身份证号", "姓名", "单位名称")),
          1.0, "person"),
    _spec("ms_claim", "医保结算信息", "Medical-insurance claims",
          "定点医药机构医保结算明细（2021年1月至8月），Parquet", "medical_security",
          "ms_claim.parquet", "parquet", None, "每日",
          {"结算单号": None, "参保人姓名": "person_name", "证件号码": "citizen_id", "就诊日期": "date",
           "医疗机构": None, "就诊类型": None, "疾病诊断": "diagnosis", "诊断编码": "diagnosis", "总金额": "amount",
           "统筹支付": "amount"},
          ("结算单号",),
          Roles(names=("参保人姓名",), citizen_ids=("证件号码",), optional=("医疗机构", "疾病诊断"),
                spaces=("参保人姓名", "证件号码")),
          1.0, "person"),
    _spec("ag_village_project", "村级工程项目", "Village construction projects",
          "村级工程项目台账（招投标与合同），JSON 数组；开工日期为 2021/8/5 形式", "agriculture",
          "ag_village_project.json", "json", "utf-8", "不定期",
          {"项目编号": None, "项目名称": None, "所属村": None, "乡镇": None, "县区代码": "region_code",
           "中标单位": "enterprise_name", "中标单位信用代码": "uscc", "合同金额(万元)": "amount", "开工日期": "date",
           "负责人": "person_name", "负责人联系电话": "mobile"},
          ("项目编号",),
          Roles(names=("中标单位", "负责人"), addresses=("所属村",), usccs=("中标单位信用代码",),
                phones=("负责人联系电话",), optional=("中标单位信用代码", "开工日期", "负责人联系电话"),
                spaces=("中标单位", "负责人"), dates={"开工日期": "slash"}),
          2.0, "enterprise"),
    _spec("ag_village_contract", "村级合同", "Village contracts",
          "村级集体经济组织合同台账；签订日期、到期日期为 Excel 序列号（数字）", "agriculture",
          "ag_village_contract.xlsx", "xlsx", None, "每月",
          {"合同编号": None, "合同名称": None, "合同类型": None, "村(社区)": None, "乡镇(街道)": None,
           "县区代码": "region_code", "甲方": None, "乙方": None, "乙方统一社会信用代码": "uscc",
           "乙方身份证号": "citizen_id", "合同金额(元)": "amount", "已付金额(元)": "amount", "签订日期": "date",
           "到期日期": "date", "经办人": "person_name"},
          ("合同编号",),
          Roles(names=("乙方", "经办人"), addresses=("村(社区)",), citizen_ids=("乙方身份证号",),
                usccs=("乙方统一社会信用代码",), optional=("已付金额(元)", "到期日期", "经办人"),
                spaces=("乙方", "乙方身份证号", "乙方统一社会信用代码"),
                dates={"签订日期": "serial", "到期日期": "serial"}),
          2.0, "enterprise", sheet="合同台账"),
)}
