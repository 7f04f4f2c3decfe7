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
