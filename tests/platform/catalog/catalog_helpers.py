"""A small realistic catalogue that the catalog tests share (imported by the test modules beside it)."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.orm import Session

from digigov.identity.actor import Actor
from digigov.platform.catalog import service as catalog
from digigov.platform.catalog.model import Resource

APPS = {
    "one_stop_business": dict(
        name="企业开办一网通办", owner_department="330000-market_regulation", system="digital_government",
        description="企业开办全流程线上办理，一次提交、一日办结。",
        functions=["企业设立登记在线办理", "电子营业执照自动发放", "公章刻制网上预约", "银行开户信息实时推送",
                   "税务发票申领与税控设备发放", "社保和公积金登记同步办理"],
    ),
    "appeals": dict(
        name="民呼我为", owner_department="330000-big_data", system="party_governance",
        description="群众诉求统一受理、分拨、办理和回访的闭环。",
        functions=["群众诉求多渠道统一受理", "诉求工单智能分拨", "办理结果回访评价", "热点诉求分析预警"],
    ),
    "elderly": dict(
        name="浙里养", owner_department="330100-civil_affairs", system="digital_society",
        description="养老服务一站式平台。",
        functions=["养老机构信息查询", "居家养老服务预约", "养老补贴在线申请", "老年人健康档案管理"],
    ),
    "food_delivery": dict(
        name="浙江外卖在线", owner_department="330000-market_regulation", system="digital_economy",
        description="网络餐饮全链条治理。",
        functions=["外卖商户证照核验", "阳光厨房视频直播", "骑手交通安全管理", "食品安全投诉处置"],
    ),
}


@dataclass
class Catalogue:
    apps: dict[str, Resource]
    population: Resource  # dataset of 杭州市公安局, needs the data authority
    social_insurance: Resource  # dataset of 杭州市人力社保局, name holds 社保
    insurance_desc_only: Resource  # dataset mentioning 社保 only in its description
    ocr: Resource  # component of 杭州市公安局, no authority needed
    licence: Resource  # dataset of 省市场监管局 about 营业执照


def admin(actor_of) -> Actor:  # type: ignore[no-untyped-def]
    return actor_of("admin")


def build(session: Session, actor_of) -> Catalogue:  # type: ignore[no-untyped-def]
    """Create the shared catalogue as the platform admin."""
    a = admin(actor_of)
    apps = {key: catalog.create_resource(session, a, kind="application", **spec)  # type: ignore[arg-type]
            for key, spec in APPS.items()}
    population = catalog.create_resource(
        session, a, kind="dataset", name="常住人口基本信息", owner_department="330100-public_security",
        description="杭州市常住人口的姓名、身份证号、户籍地址。", tags=["人口", "户籍"],
        system="digital_government")
    social = catalog.create_resource(
        session, a, kind="dataset", name="社保参保缴费信息", owner_department="330100-human_resources",
        description="参保人员的养老、医疗、失业保险缴费记录。", tags=["社会保险"], system="digital_society")
    desc_only = catalog.create_resource(
        session, a, kind="dataset", name="灵活就业人员登记", owner_department="330100-human_resources",
        description="灵活就业人员名单，供社保补贴审核使用。", system="digital_society")
    ocr = catalog.create_resource(
        session, a, kind="component", name="身份证识别组件", owner_department="330100-public_security",
        description="识别身份证照片中的文字。", functions=["身份证正反面识别", "人像比对"])
    licence = catalog.create_resource(
        session, a, kind="dataset", name="电子营业执照信息", owner_department="330000-market_regulation",
        description="全省企业电子营业执照的照面信息。", tags=["营业执照", "法人"], system="digital_economy")
    session.flush()
    return Catalogue(apps, population, social, desc_only, ocr, licence)
