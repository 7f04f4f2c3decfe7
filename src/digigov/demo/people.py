"""Demo users: one for each role in several departments, with passwords derived from the seed."""

from __future__ import annotations

import random
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from digigov.identity import service as identity
from digigov.identity.actor import Actor
from digigov.identity.model import User


@dataclass(frozen=True)
class DemoUser:
    username: str
    display_name: str
    department: str  # department code: region code + kind
    roles: tuple[str, ...]
    password: str = ""


# username, display name, department code, roles
ROSTER: tuple[tuple[str, str, str, tuple[str, ...]], ...] = (
    ("admin", "平台管理员", "330000-big_data", ("platform_admin",)),
    ("auditor", "钱审", "330000-discipline", ("auditor",)),
    ("zj_bigdata_approver", "周审", "330000-big_data", ("approver",)),
    ("zj_bigdata_steward", "吴数", "330000-big_data", ("data_steward",)),
    ("zj_market_steward", "郑明", "330000-market_regulation", ("data_steward",)),
    ("zj_market_officer", "冯晓", "330000-market_regulation", ("officer",)),
    ("hz_police_steward", "王强", "330100-public_security", ("data_steward",)),
    ("hz_police_approver", "李娜", "330100-public_security", ("approver",)),
    ("hz_civil_officer", "张伟", "330100-civil_affairs", ("officer",)),
    ("hz_civil_steward", "刘洋", "330100-civil_affairs", ("data_steward", "approver")),
    ("hz_hrss_steward", "陈静", "330100-human_resources", ("data_steward", "approver")),
    ("hz_bigdata_approver", "杨帆", "330100-big_data", ("approver",)),
    ("xh_health_officer", "赵敏", "330106-health", ("officer",)),
    ("nb_emergency_steward", "孙磊", "330200-emergency_management",
     ("data_steward", "approver")),
    ("jh_bigdata_approver", "胡杰", "330700-big_data", ("approver", "officer")),
    # the closed loop (民呼我为): the 12345 centre's dispatcher and supervisor, two handling departments
    ("hz_hotline_dispatcher", "何晓", "330100-hotline", ("officer",)),
    ("hz_hotline_supervisor", "马督", "330100-hotline", ("approver",)),
    ("xh_urban_officer", "林城", "330106-urban_management", ("officer",)),
    ("xh_housing_officer", "许安", "330106-housing", ("officer",)),
    # grassroots power supervision (基层公权力大数据监督, 建德): the county discipline commission's supervisor, a town's
    # discipline official who verifies rectification on site, a village supervision liaison station's officer
    ("jd_discipline_supervisor", "邵建明", "330182-discipline", ("approver",)),
    ("jd_town_official", "洪卫东", "330182-discipline", ("officer",)),
    ("jd_liaison_officer", "姜丽华", "330182-discipline", ("officer",)),
    # 浙江外卖在线: a county market-regulation officer who handles the merchants' risk cases
    ("xh_market_officer", "沈明", "330106-market_regulation", ("officer",)),
    # 一件事 (bundles, 西湖区): the government-service centre's window clerk (数据资源管理局, which runs the centre and
    # relays to partner banks), officers of the departments that handle the bundles' items, and the stewards of the
    # provincial population and death registers who approve the departments' grants
    ("xh_window_clerk", "方晓燕", "330106-big_data", ("officer",)),
    ("xh_police_officer", "钟立新", "330106-public_security", ("officer",)),
    ("xh_medsec_officer", "韩雪梅", "330106-medical_security", ("officer",)),
    ("xh_hrss_officer", "袁志刚", "330106-human_resources", ("officer",)),
    ("xh_tax_officer", "潘慧", "330106-taxation", ("officer",)),
    ("xh_civil_officer", "蒋文华", "330106-civil_affairs", ("officer",)),
    ("zj_police_steward", "金国平", "330000-public_security", ("data_steward",)),
    ("zj_civil_steward", "朱红英", "330000-civil_affairs", ("data_steward",)),
    # 湖州 社会治理风险闭环管控: the city's social-governance centre (in the petitions bureau) supervises, verifies and
    # closes out; an official of 织里镇 (posted by the application to the town) handles its tasks; a grid worker of
    # 织里镇 reports risks from the field (both in 吴兴区's social-governance centre)
    ("huz_centre_supervisor", "沈国华", "330500-petitions", ("approver",)),
    ("huz_town_official", "钱晓峰", "330502-petitions", ("officer",)),
    ("huz_grid_worker", "陆美琴", "330502-petitions", ("officer",)),
)

_ALPHABET = "abcdefghijkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789"


def roster(seed: int = 2021) -> list[DemoUser]:
    """The demo users with their passwords; the same seed always gives the same passwords."""
    rng = random.Random(seed)
    out = []
    for username, name, dept, roles in ROSTER:
        password = "".join(rng.choice(_ALPHABET) for _ in range(12))
        out.append(DemoUser(username, name, dept, roles, password))
    return out


def seed_users(session: Session, actor: Actor, seed: int = 2021) -> list[DemoUser]:
    """Create the demo users that do not exist yet. Idempotent."""
    existing = set(session.scalars(select(User.username)))
    people = roster(seed)
    for p in people:
        if p.username not in existing:
            identity.create_user(session, actor, username=p.username, display_name=p.display_name,
                                 password=p.password, department=p.department, roles=p.roles)
    return people
