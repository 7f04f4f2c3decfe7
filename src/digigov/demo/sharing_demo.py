"""Sharing in the demo (共享): requests between the demo departments in each state a user meets (granted and
read, granted as a change feed, waiting for review, refused), made through the same service calls as the
pages, so /sharing, its inbox and usage pages show what a running platform would. Idempotent: a request is
made once per (requester, purpose)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from digigov.identity import service as identity
from digigov.identity.actor import Actor
from digigov.platform.sharing import service as sharing
from digigov.platform.sharing.model import ShareRequest
from digigov.platform.warehouse.model import Dataset


@dataclass(frozen=True)
class DemoRequest:
    requester: str
    dataset: str
    purpose: str
    legal_basis: str
    fields: tuple[str, ...]
    channel: str = "api"
    row_filter: tuple[dict[str, Any], ...] = ()
    decision: str = ""  # "": left for review; "approve"; "refuse"
    reviewer: str = "zj_market_steward"
    comment: str = ""
    reads: int = 0  # pages read after the grant
    narrow_to: tuple[str, ...] = field(default=())


REQUESTS = (
    DemoRequest("hz_civil_officer", "mr_enterprise", "最低生活保障家庭经济状况核对：申请人名下市场主体",
                "《社会救助暂行办法》第十一条；《浙江省最低生活保障办法》",
                ("统一社会信用代码", "企业名称", "企业类型", "登记状态", "法定代表人", "住所"),
                row_filter=({"column": "住所", "op": "prefix", "value": "杭州市"},),
                decision="approve", comment="同意共享，住所不在核对所需范围内，已去除。", reads=3,
                narrow_to=("统一社会信用代码", "企业名称", "企业类型", "登记状态", "法定代表人")),
    DemoRequest("xh_health_officer", "mr_food_licence", "餐饮单位食品安全监督抽检：许可变化实时推送",
                "《中华人民共和国食品安全法》第八十七条",
                ("许可证编号", "经营者名称", "主体业态", "经营项目", "发证日期", "有效期至"), channel="feed",
                decision="approve", comment="同意以数据高铁方式推送许可变化。"),
    DemoRequest("hz_hrss_steward", "mr_enterprise", "社会保险参保扩面：新设立企业名单",
                "《中华人民共和国社会保险法》第五十七条", ("统一社会信用代码", "企业名称", "成立日期", "所属行业")),
    DemoRequest("xh_urban_officer", "mr_enterprise", "沿街商铺信息核对",
                "", ("企业名称", "法定代表人", "住所"), decision="refuse",
                comment="未提供法律依据；沿街商铺信息请通过城市管理部门自有台账核对。"),
)


def _actor(session: Session, username: str) -> Actor:
    return Actor.from_user(identity.get_user(session, username))


def build(session: Session, now_day: date | None = None) -> dict[str, int]:
    """Make the demo's sharing requests (when their datasets are loaded); counts by state."""
    expires = (now_day or date.today()) + timedelta(days=180)
    made = 0
    for spec in REQUESTS:
        ds = session.scalar(select(Dataset).where(Dataset.code == spec.dataset))
        if ds is None or not ds.current_version:
            continue
        requester = _actor(session, spec.requester)
        exists = session.scalar(select(ShareRequest.id).where(ShareRequest.requester_id == requester.user_id,
                                                              ShareRequest.purpose == spec.purpose))
        if exists is not None:
            continue
        req = sharing.submit_request(session, requester, dataset=spec.dataset, purpose=spec.purpose,
                                     legal_basis=spec.legal_basis, fields=list(spec.fields), channel=spec.channel,
                                     row_filter=list(spec.row_filter), expires=expires)
        made += 1
        if spec.decision:
            approve = spec.decision == "approve"
            sharing.decide(session, _actor(session, spec.reviewer), req.id, approve=approve, comment=spec.comment,
                           fields=list(spec.narrow_to) if spec.narrow_to else None)
            if approve and req.state == "authority_review":
                sharing.decide(session, _actor(session, "zj_bigdata_approver"), req.id, approve=True,
                               comment="同意。")
        for page in range(spec.reads):
            sharing.read(session, requester, spec.dataset, limit=20, offset=20 * page)
    states: dict[str, int] = {"made": made}
    for (state,) in session.execute(select(ShareRequest.state)):
        states[state] = states.get(state, 0) + 1
    return states
