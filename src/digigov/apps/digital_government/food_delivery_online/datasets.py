"""The datasets the application brings, each handed over by the department that holds it, and the datasets of
other departments it reads. Headers are Chinese, as the departments write them; each is bound to a data element
(or left free). Numbers that may be either a licence number or a credit code, and counts, stay free fields, so that
a malformed value reaches the checks instead of quarantine."""

from __future__ import annotations

from dataclasses import dataclass

PROVINCE = "330000"


@dataclass(frozen=True)
class DatasetSpec:
    code: str
    name: str
    name_en: str
    description: str
    department_kind: str
    update_frequency: str
    mapping: dict[str, str | None]  # header -> data element (None: a free field)
    key: tuple[str, ...]

    @property
    def department(self) -> str:
        return f"{PROVINCE}-{self.department_kind}"

    @property
    def headers(self) -> tuple[str, ...]:
        return tuple(self.mapping)

    @property
    def filename(self) -> str:
        return f"{self.code}.csv"


LISTINGS = DatasetSpec(
    "fdo_listing", "外卖平台入网商户信息", "Delivery-platform merchant listings",
    "各外卖平台报送的入网餐饮商户：店铺、经营者、地址、经营类目、公示的许可证编号或统一社会信用代码、证照照片识别文本、"
    "日均订单量（网络餐饮治理一件事）", "market_regulation", "每日",
    {"平台": None, "店铺编号": None, "店铺名称": None, "经营者名称": "enterprise_name", "店铺地址": "address",
     "县区代码": "region_code", "经营类目": None, "公示证照编号": None, "证照照片识别文本": None, "日均订单量": None,
     "采集日期": "date"},
    ("平台", "店铺编号"))
KITCHENS = DatasetSpec(
    "fdo_kitchen", "阳光厨房接入信息", "Sunlit-kitchen connections",
    "外卖商户后厨视频（阳光厨房）接入状态、近7日在线率和AI巡检发现的问题数", "market_regulation", "每日",
    {"平台": None, "店铺编号": None, "接入状态": None, "接入日期": "date", "近7日在线率(%)": None,
     "AI巡检问题数": None},
    ("平台", "店铺编号"))
RIDERS = DatasetSpec(
    "fdo_rider", "外卖骑手档案", "Delivery-rider profiles",
    "各外卖平台报送的骑手档案及平台申报的职业伤害保障参保情况", "market_regulation", "每日",
    {"平台": None, "骑手编号": None, "姓名": "person_name", "身份证号": "citizen_id", "手机号": "mobile",
     "县区代码": "region_code", "平台申报参保": None, "注册日期": "date"},
    ("平台", "骑手编号"))
DELIVERIES = DatasetSpec(
    "fdo_delivery", "外卖订单配送样本", "Delivery sample",
    "外卖订单配送抽样：配送距离、天气、拥堵指数、下单时段、骑手在途单量、平台承诺时长与实际送达时长",
    "market_regulation", "每日",
    {"平台": None, "订单编号": None, "骑手编号": None, "县区代码": "region_code", "订单日期": "date", "下单时段": None,
     "天气": None, "拥堵指数": None, "骑手在途单量": None, "配送距离(km)": None, "平台承诺时长(分钟)": None,
     "实际送达时长(分钟)": None},
    ("平台", "订单编号"))
INJURY_INSURANCE = DatasetSpec(
    "fdo_injury_insurance", "新就业形态职业伤害保障参保信息", "Occupational-injury insurance of platform workers",
    "人力社保部门新就业形态就业人员职业伤害保障参保记录（参保单位、参保状态）", "human_resources", "每日",
    {"身份证号": "citizen_id", "姓名": "person_name", "参保单位": "enterprise_name", "险种": None, "参保状态": None,
     "参保日期": "date"},
    ("身份证号", "参保单位"))
ACCIDENTS = DatasetSpec(
    "fdo_traffic_accident", "外卖骑手道路交通事故信息", "Road accidents involving delivery riders",
    "公安交警部门登记的涉及电动自行车外卖骑手的道路交通事故", "public_security", "每日",
    {"事故编号": None, "发生日期": "date", "县区代码": "region_code", "当事人身份证号": "citizen_id",
     "当事人姓名": "person_name", "车辆类型": None, "事故形态": None, "伤亡情况": None, "违法行为": None,
     "所属平台": None},
    ("事故编号",))

OWN = (LISTINGS, KITCHENS, RIDERS, DELIVERIES, INJURY_INSURANCE, ACCIDENTS)
FOOD_LICENCES = "mr_food_licence"  # market regulation: food-business licences (demo.govdata)
ENTERPRISES = "mr_enterprise"  # market regulation: the enterprise registry (demo.govdata)
