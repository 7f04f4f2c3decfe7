"""The shapes of the demo catalogue content (components, cloud resources, datasets, applications,
proposals, the catalogue itself) and its sizes."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

SCALES = ("small", "medium", "large")
# Target application counts per scale.
APP_COUNTS = {"small": 120, "medium": 200, "large": 2000}
DEFAULT_SEED = 2021
MEDIUM_DATASETS = 72  # the core 66 (every scale) and a few more city copies

SYSTEMS = ("party_governance", "digital_government", "digital_economy", "digital_society", "rule_of_law")

PROVINCE = "330000"


@dataclass(frozen=True)
class ComponentSpec:
    """A reusable component (组件): an algorithm or a shared service other resources call."""

    name: str
    name_en: str
    description: str
    owner: str  # department code
    functions: tuple[str, ...]
    version: str
    api_style: str
    sla: str
    tags: tuple[str, ...] = ()
    cloud: tuple[str, ...] = ()  # names of the cloud resources it runs on

    kind = "component"

    @property
    def attributes(self) -> dict[str, Any]:
        return {"version": self.version, "api_style": self.api_style, "sla": self.sla}

    @property
    def depends_on(self) -> tuple[str, ...]:
        return self.cloud


@dataclass(frozen=True)
class CloudSpec:
    """A cloud resource (云资源) on the government cloud (政务云)."""

    name: str
    name_en: str
    description: str
    owner: str
    resource_type: str  # ECS / RDS / OSS / GPU
    node: str  # 政务云 node, e.g. 省政务云（华东节点）, 杭州市政务云
    vcpu: int
    memory_gb: int
    storage_gb: int
    spec: str
    tags: tuple[str, ...] = ()

    kind = "cloud_resource"

    @property
    def attributes(self) -> dict[str, Any]:
        return {
            "resource_type": self.resource_type,
            "node": self.node,
            "vcpu": self.vcpu,
            "memory_gb": self.memory_gb,
            "storage_gb": self.storage_gb,
            "spec": self.spec,
        }

    @property
    def depends_on(self) -> tuple[str, ...]:
        return ()


@dataclass(frozen=True)
class DatasetSpec:
    """A data resource (数据) with its catalogue attributes (DB33/T 2351 grade, sharing and opening)."""

    name: str
    name_en: str
    description: str
    owner: str
    update_frequency: str  # 实时 / 每日 / 每月 / 每年
    share_attribute: str  # 无条件共享 / 有条件共享 / 不予共享
    open_attribute: str  # 无条件开放 / 受限开放 / 禁止开放
    grade: str  # L1..L4
    record_count: int
    fields: tuple[str, ...]
    tags: tuple[str, ...] = ()
    system: str | None = None
    cloud: tuple[str, ...] = ()  # where it is stored

    kind = "dataset"

    @property
    def attributes(self) -> dict[str, Any]:
        return {
            "update_frequency": self.update_frequency,
            "share_attribute": self.share_attribute,
            "open_attribute": self.open_attribute,
            "grade": self.grade,
            "record_count": self.record_count,
            "fields": list(self.fields),
        }

    @property
    def depends_on(self) -> tuple[str, ...]:
        return self.cloud


@dataclass(frozen=True)
class AppSpec:
    """An application (应用) in one of the five systems."""

    name: str
    name_en: str
    description: str
    system: str
    owner: str
    functions: tuple[str, ...]
    budget_wan: float
    status: str = "online"
    tags: tuple[str, ...] = ()
    datasets: tuple[str, ...] = ()
    components: tuple[str, ...] = ()
    real: bool = False  # named in the press release or the reference notes
    template: str | None = None  # the template key it was filled from

    kind = "application"

    @property
    def attributes(self) -> dict[str, Any]:
        out: dict[str, Any] = {}
        if self.real:
            out["named_in_sources"] = True
        if self.template:
            out["template"] = self.template
        return out

    @property
    def depends_on(self) -> tuple[str, ...]:
        return self.datasets + self.components


@dataclass(frozen=True)
class Proposal:
    """A proposed application put to the duplicate check (应用查重) in the Jinhua pre-review."""

    name: str
    department: str
    description: str
    functions: tuple[str, ...]
    budget_wan: float
    expected: str  # the verdict it was built to receive: reject / reduce_budget / pass
    basis: str | None = None  # the existing application whose functions it restates, if any


@dataclass
class Catalogue:
    scale: str
    seed: int
    components: list[ComponentSpec] = field(default_factory=list)
    cloud_resources: list[CloudSpec] = field(default_factory=list)
    datasets: list[DatasetSpec] = field(default_factory=list)
    applications: list[AppSpec] = field(default_factory=list)

    def counts(self) -> dict[str, int]:
        return {
            "component": len(self.components),
            "cloud_resource": len(self.cloud_resources),
            "dataset": len(self.datasets),
            "application": len(self.applications),
        }

    def all(self) -> list[ComponentSpec | CloudSpec | DatasetSpec | AppSpec]:
        """Every resource, in creation order: things depended on come before what depends on them."""
        return [*self.cloud_resources, *self.components, *self.datasets, *self.applications]

    def app(self, name: str) -> AppSpec:
        for a in self.applications:
            if a.name == name:
                return a
        raise KeyError(name)
