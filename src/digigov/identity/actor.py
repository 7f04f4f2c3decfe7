"""Who is acting: the identity every service call and every audit record carries."""

from __future__ import annotations

import getpass
from dataclasses import dataclass, field

from digigov.identity.model import User


@dataclass(frozen=True)
class Actor:
    username: str
    roles: frozenset[str] = field(default_factory=frozenset)
    user_id: int | None = None
    display_name: str = ""
    department_id: int | None = None
    department_name: str = ""
    department_kind: str = ""
    region_code: str = ""
    region_level: str = ""
    is_data_authority: bool = False
    via: str = "web"  # web, api (bearer token), cli, system

    @classmethod
    def from_user(cls, user: User, via: str = "web") -> Actor:
        dept = user.department
        return cls(
            username=user.username,
            roles=user.roles,
            user_id=user.id,
            display_name=user.display_name,
            department_id=dept.id,
            department_name=dept.name,
            department_kind=dept.kind,
            region_code=dept.region_code,
            region_level=dept.tier,
            is_data_authority=dept.is_data_authority,
            via=via,
        )

    @classmethod
    def operator(cls) -> Actor:
        """The person at the server's shell (CLI): acts as platform admin, audited under the OS user."""
        try:
            who = getpass.getuser()
        except (KeyError, OSError):
            who = "unknown"
        return cls(username=f"cli:{who}", roles=frozenset({"platform_admin"}), via="cli")

    def has(self, *roles: str) -> bool:
        return bool(self.roles.intersection(roles))
