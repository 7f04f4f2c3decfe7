"""The 民呼我为 dispatch taxonomy: what citizens call about, and which department handles it.

Each category names a department kind (identity/data/department_kinds.csv) and the tier that handles it:
county-tier matters go to the district or county department where the problem is (西湖区住建局), city-tier
ones to the Hangzhou municipal department (杭州市医疗保障局), the way 12345 dispatches. `keywords` are the
words a keyword-rule dispatcher (the benchmark baseline) would look for; they also seed the tokenizer's
user dictionary.
"""

from __future__ import annotations

from dataclasses import dataclass

from digigov.core.errors import InvalidInput, NotFound
from digigov.core.i18n import register
from digigov.identity.regions import department_code, department_kinds

register({
    "error.hotline_no_category": ("没有诉求类别 {code}", "No request category {code}"),
    "error.hotline_bad_region": ("区划代码 {code} 无效", "Region code {code} is not valid"),
})


@dataclass(frozen=True)
class Category:
    code: str
    name: str
    name_en: str
    department_kind: str
    tier: str  # "county" or "city"
    sla_workdays: int
    urgent: bool
    keywords: tuple[str, ...]


def _c(code: str, name: str, name_en: str, kind: str, tier: str, sla: int, keywords: str,
       urgent: bool = False) -> Category:
    return Category(code, name, name_en, kind, tier, sla, urgent, tuple(keywords.split()))


CATEGORIES: tuple[Category, ...] = (
    _c("noise_construction", "建筑施工噪声", "Construction noise", "urban_management", "county", 3,
       "工地 施工 夜间施工 打桩 渣土车 混凝土 搅拌 连夜施工 机器轰鸣"),
    _c("noise_social", "社会生活噪声", "Neighbourhood noise", "public_security", "county", 3,
       "广场舞 音响 喇叭 扰民 唱歌 装修 邻居 酒吧 KTV 吵闹"),
    _c("noise_industrial", "工业噪声", "Industrial noise", "ecology_environment", "county", 5,
       "厂房 工厂 机器 车间 冷却塔 风机 生产线 轰隆"),
    _c("air_pollution", "废气异味", "Air pollution and odours", "ecology_environment", "county", 5,
       "异味 臭味 废气 黑烟 油烟 焚烧 烧垃圾 刺鼻 喷漆"),
    _c("water_pollution", "河道水体污染", "River and water pollution", "ecology_environment", "county", 5,
       "河道 河水 发黑 发臭 排污 死鱼 偷排 污水直排 排污口"),
    _c("garbage", "垃圾清运与分类", "Rubbish collection and sorting", "urban_management", "county", 3,
       "垃圾 垃圾桶 清运 垃圾分类 建筑垃圾 堆放 垃圾房 满溢"),
    _c("illegal_construction", "违法建设", "Illegal construction", "urban_management", "county", 10,
       "违建 违章搭建 搭建 阳光房 加盖 私搭乱建 围墙 违章建筑"),
    _c("street_vendor", "占道经营", "Street vending and pavement occupation", "urban_management", "county", 3,
       "摊贩 流动摊 占道 摆摊 出店经营 夜宵摊 小贩 烧烤摊"),
    _c("streetlight", "路灯与市政设施", "Street lights and municipal fixtures", "urban_management", "county", 3,
       "路灯 不亮 灯杆 窨井盖 井盖 护栏 绿化带 黑灯瞎火"),
    _c("water_outage", "停水与供水", "Water outage and supply", "urban_management", "city", 1,
       "停水 没水 水压 自来水 水管 爆管 供水 水质 黄水", urgent=True),
    _c("gas", "燃气", "Gas supply and leaks", "urban_management", "city", 1,
       "燃气 煤气 天然气 漏气 燃气表 液化气 钢瓶 燃气灶", urgent=True),
    _c("road_damage", "道路破损", "Damaged roads", "transport", "county", 3,
       "路面 坑洼 破损 塌陷 坑 沥青 人行道 道路开裂"),
    _c("illegal_parking", "违法停车", "Illegal parking", "public_security", "county", 3,
       "乱停车 违停 堵车 停车 消防通道被占 车位 挡住 占用车道"),
    _c("household_registration", "户籍办理", "Household registration", "public_security", "county", 5,
       "户口 落户 迁户 户籍 身份证 居住证 派出所 积分落户"),
    _c("property_management", "物业服务", "Property management services", "housing", "county", 5,
       "物业 物业费 保安 业委会 门禁 物业公司 保洁 停车费"),
    _c("housing_management", "房产管理", "Housing management (sales, leases, transactions)", "housing", "city", 5,
       "房产 购房 限购 二手房 网签 房东 租房 交房 开发商 摇号 房价"),
    _c("old_community", "老旧小区改造", "Old residential estate renovation", "housing", "county", 10,
       "老旧小区 改造 加装电梯 外立面 雨污分流 楼道 老小区 综合改造"),
    _c("property_registration", "不动产登记", "Real-estate registration", "natural_resources", "city", 5,
       "不动产 产权证 房产证 过户 不动产登记 抵押登记 权证 办证"),
    _c("land_planning", "规划与宅基地", "Planning and rural homesteads", "natural_resources", "county", 10,
       "规划 宅基地 建房审批 用地 农房 规划许可 土地 地块"),
    _c("food_safety", "食品安全", "Food safety", "market_regulation", "county", 3,
       "食品 变质 过期 吃坏 拉肚子 饭店 外卖 苍蝇 卫生 食物中毒"),
    _c("consumer_dispute", "消费维权", "Consumer disputes", "market_regulation", "county", 5,
       "退款 预付卡 健身房 跑路 退货 商家 售后 会员卡 消费者 维权"),
    _c("price", "价格监管", "Prices and charges", "market_regulation", "county", 5,
       "价格 乱收费 收费 涨价 明码标价 多收 天价 标价"),
    _c("elevator", "电梯安全", "Lift safety", "market_regulation", "county", 1,
       "电梯 困人 关人 电梯故障 维保 急停 电梯坏", urgent=True),
    _c("wage_arrears", "欠薪", "Unpaid wages", "human_resources", "county", 2,
       "工资 欠薪 拖欠 包工头 讨薪 工钱 老板跑了 欠工资", urgent=True),
    _c("social_insurance", "社会保险", "Social insurance", "human_resources", "city", 5,
       "社保 养老保险 退休 养老金 缴费基数 断缴 社保卡 失业金"),
    _c("employment", "就业创业", "Jobs and entrepreneurship", "human_resources", "county", 5,
       "就业 招聘 失业登记 创业补贴 技能培训 人才补贴 求职 劳动合同"),
    _c("medical_insurance", "医疗保障", "Medical insurance", "medical_security", "city", 5,
       "医保 报销 医保卡 门诊 异地就医 大病保险 参保 医保账户"),
    _c("medical_service", "医疗服务", "Medical services", "health", "county", 5,
       "医院 医生 挂号 看病 态度差 排队 误诊 护士 急诊"),
    _c("school_enrolment", "入学与学校", "School admission and schools", "education", "county", 5,
       "入学 学区 小学 初中 幼儿园 招生 学位 转学 班主任"),
    _c("off_campus_training", "校外培训", "Off-campus tutoring", "education", "county", 5,
       "培训机构 补课 培训班 学费 退费 辅导班 课时 双减"),
    _c("public_transport", "公交地铁", "Buses and metro", "transport", "city", 5,
       "公交 地铁 公交车 站台 班次 司机 末班车 线路 公交站"),
    _c("taxi", "出租车与网约车", "Taxis and ride-hailing", "transport", "city", 5,
       "出租车 网约车 的士 拒载 绕路 打表 滴滴 宰客"),
    _c("elderly_care", "养老服务", "Elderly care", "civil_affairs", "county", 5,
       "老人 养老院 高龄补贴 居家养老 助餐 老年食堂 养老服务 失能"),
    _c("social_assistance", "社会救助", "Social assistance", "civil_affairs", "county", 5,
       "低保 救助 困难 低边 临时救助 特困 残疾 生活困难"),
    _c("safety_hazard", "安全隐患", "Safety hazards", "emergency_management", "county", 2,
       "安全隐患 消防通道 电瓶车 充电 飞线 危险品 易燃 堵塞 着火", urgent=True),
    _c("agriculture", "农业农村", "Agriculture and rural affairs", "agriculture", "county", 5,
       "农药 化肥 种子 病死猪 养殖 农田 抛荒 村里 农机 种粮补贴"),
    _c("tourism", "文化旅游", "Tourism and culture", "culture_tourism", "city", 5,
       "景区 旅游 导游 门票 旅行社 游客 购物点 民宿 强制消费"),
    _c("legal_aid", "法律援助与调解", "Legal aid and mediation", "justice", "county", 5,
       "法律援助 律师 调解 纠纷 打官司 公证 法律咨询 人民调解"),
    _c("tax", "税务", "Taxes", "taxation", "city", 5,
       "发票 个税 退税 税务 纳税 开票 报税 税务局 个人所得税"),
    _c("gov_app", "政务服务与浙里办", "Online government services", "big_data", "city", 3,
       "浙里办 APP 系统 闪退 登录 验证码 健康码 网上办理 办不了"),
    _c("subsidy_payment", "补贴资金发放", "Subsidy payments", "finance", "county", 5,
       "补贴 补助 未到账 发放 资金 惠民 一卡通 到账 补贴款"),
    _c("official_conduct", "干部作风", "Official conduct", "discipline", "county", 10,
       "工作人员 态度恶劣 不作为 推诿 吃拿卡要 刁难 踢皮球 打官腔 作风"),
    _c("repeat_complaint", "重复诉求与督办", "Repeat complaints and follow-up", "petitions", "county", 10,
       "多次反映 一直没解决 重复 督办 不满意 再次投诉 回复敷衍 没人管"),
    _c("policy_consult", "政策咨询", "Policy questions", "hotline", "city", 1,
       "咨询 政策 请问 怎么办理 需要什么材料 流程 在哪里办 问一下"),
)

BY_CODE: dict[str, Category] = {c.code: c for c in CATEGORIES}
KIND_NAMES: dict[str, str] = {k.kind: k.name for k in department_kinds()}

if len({c.department_kind for c in CATEGORIES} - set(KIND_NAMES)) > 0:  # pragma: no cover - data check
    raise RuntimeError("a category names an unknown department kind")


def get(code: str) -> Category:
    try:
        return BY_CODE[code]
    except KeyError:
        raise NotFound(f"no request category {code}", key="hotline_no_category", code=str(code)[:64]) from None


def city_of(region_code: str) -> str:
    """The city code of a county (or city) code: first four digits + "00"."""
    return region_code[:4] + "00"


def route(category_code: str, region_code: str) -> str:
    """The department code that handles `category_code` where `region_code` (a county code) is.

    County-tier categories go to the county's department (e.g. "330106-housing"), city-tier ones to the
    city's ("330100-medical_security"). A city code as `region_code` routes everything to the city."""
    category = get(category_code)
    if len(region_code) != 6 or not region_code.isdigit():
        raise InvalidInput(f"bad region code {region_code}", key="hotline_bad_region", code=str(region_code)[:16])
    region = region_code if category.tier == "county" else city_of(region_code)
    return department_code(region, category.department_kind)


def keyword_rules() -> dict[str, tuple[str, ...]]:
    """{category code: keywords}, for the keyword-matching dispatcher used as the benchmark baseline."""
    return {c.code: c.keywords for c in CATEGORIES}
