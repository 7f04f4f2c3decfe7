"""IRS catalogue tables: one metadata schema for the four resource kinds, carts and requests.

Resource kinds (四大货架): application 应用, dataset 数据, component 组件, cloud_resource 云资源.
Dependencies run application -> dataset -> component -> cloud_resource.
A request (购物车式一键申请) holds one item per resource; each item routes to its owner department for
review, then to the data authority (大数据局) where the resource requires it.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Boolean, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from digigov.core.clock import utcnow
from digigov.core.db import Base, UTCDateTime
from digigov.identity.model import Department, User

KINDS = ("application", "dataset", "component", "cloud_resource")
SYSTEMS = ("party_governance", "digital_government", "digital_economy", "digital_society", "rule_of_law")
STATUSES = ("planned", "building", "online", "offline", "retired")
ITEM_STATES = ("owner_review", "authority_review", "granted", "denied", "provisioned")


class Resource(Base):
    __tablename__ = "catalog_resource"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    code: Mapped[str] = mapped_column(String(40), unique=True)
    kind: Mapped[str] = mapped_column(String(16), index=True)
    name: Mapped[str] = mapped_column(String(200))
    name_en: Mapped[str] = mapped_column(String(200), default="")
    description: Mapped[str] = mapped_column(Text, default="")
    owner_department_id: Mapped[int] = mapped_column(ForeignKey("department.id"), index=True)
    region_code: Mapped[str] = mapped_column(String(6), index=True)  # the owner department's region
    tier: Mapped[str] = mapped_column(String(16), index=True)  # province / city / county
    system: Mapped[str | None] = mapped_column(String(24), index=True)  # one of SYSTEMS, or none
    status: Mapped[str] = mapped_column(String(16), default="online", index=True)
    tags: Mapped[list[str]] = mapped_column(JSON, default=list)
    functions: Mapped[list[str]] = mapped_column(JSON, default=list)  # applications: function list
    attributes: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)  # kind-specific metadata
    requires_authority: Mapped[bool] = mapped_column(Boolean, default=False)
    reuse_count: Mapped[int] = mapped_column(Integer, default=0)
    budget_wan: Mapped[float | None] = mapped_column(default=None)  # applications: budget, 万元
    search_text: Mapped[str] = mapped_column(Text, default="")  # jieba tokens joined by spaces
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    owner: Mapped[Department] = relationship(lazy="joined")

    @property
    def department_id(self) -> int:
        """The owner, under the attribute name the permission rules read."""
        return self.owner_department_id


class ResourceDependency(Base):
    """`resource_id` uses `depends_on_id` (application -> dataset -> component -> cloud_resource)."""

    __tablename__ = "catalog_dependency"

    resource_id: Mapped[int] = mapped_column(
        ForeignKey("catalog_resource.id", ondelete="CASCADE"), primary_key=True
    )
    depends_on_id: Mapped[int] = mapped_column(
        ForeignKey("catalog_resource.id", ondelete="CASCADE"), primary_key=True, index=True
    )


class CartItem(Base):
    """A resource in a user's cart, kept across sessions until submitted or removed."""

    __tablename__ = "catalog_cart_item"
    __table_args__ = (UniqueConstraint("user_id", "resource_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id", ondelete="CASCADE"), index=True)
    resource_id: Mapped[int] = mapped_column(ForeignKey("catalog_resource.id", ondelete="CASCADE"))
    added_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    resource: Mapped[Resource] = relationship(lazy="joined")


class ResourceRequest(Base):
    """One submission of a cart: a purpose and the items it asks for."""

    __tablename__ = "catalog_request"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    requester_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"), index=True)
    requester_department_id: Mapped[int] = mapped_column(ForeignKey("department.id"), index=True)
    purpose: Mapped[str] = mapped_column(Text)
    legal_basis: Mapped[str] = mapped_column(Text, default="")
    submitted_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    requester: Mapped[User] = relationship(lazy="joined")
    requester_department: Mapped[Department] = relationship(lazy="joined")
    items: Mapped[list[RequestItem]] = relationship(
        back_populates="request", lazy="selectin", order_by="RequestItem.id"
    )


class RequestItem(Base):
    """One resource of a request, with its own review route and state (one of ITEM_STATES)."""

    __tablename__ = "catalog_request_item"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    request_id: Mapped[int] = mapped_column(ForeignKey("catalog_request.id", ondelete="CASCADE"), index=True)
    resource_id: Mapped[int] = mapped_column(ForeignKey("catalog_resource.id"), index=True)
    owner_department_id: Mapped[int] = mapped_column(ForeignKey("department.id"), index=True)
    region_code: Mapped[str] = mapped_column(String(6))  # the owner's region: decides which authority
    needs_authority: Mapped[bool] = mapped_column(Boolean, default=False)
    state: Mapped[str] = mapped_column(String(20), default="owner_review", index=True)
    owner_reviewer: Mapped[str | None] = mapped_column(String(64))
    owner_comment: Mapped[str] = mapped_column(Text, default="")
    owner_decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    authority_reviewer: Mapped[str | None] = mapped_column(String(64))
    authority_comment: Mapped[str] = mapped_column(Text, default="")
    authority_decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    provisioned_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    provision_note: Mapped[str] = mapped_column(Text, default="")

    request: Mapped[ResourceRequest] = relationship(back_populates="items", lazy="joined")
    resource: Mapped[Resource] = relationship(lazy="joined")
    owner: Mapped[Department] = relationship(lazy="joined")

    @property
    def department_id(self) -> int:
        return self.owner_department_id

    @property
    def requester_id(self) -> int:
        return self.request.requester_id


VERDICTS = ("reject", "reduce_budget", "pass")


class DuplicateCheck(Base):
    """A proposed application checked against the catalogue (应用查重), kept for the review record."""

    __tablename__ = "catalog_duplicate_check"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text, default="")
    functions: Mapped[list[str]] = mapped_column(JSON, default=list)
    proposer_department_id: Mapped[int | None] = mapped_column(ForeignKey("department.id"))
    budget_wan: Mapped[float | None] = mapped_column(default=None)
    verdict: Mapped[str] = mapped_column(String(16), index=True)  # one of VERDICTS
    score: Mapped[float] = mapped_column(default=0.0)  # share of proposed functions already built
    matches: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)  # matched apps with evidence
    checked_by: Mapped[str] = mapped_column(String(64))
    checked_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
