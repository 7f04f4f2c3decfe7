"""The six high-frequency matters of village power (村级小微权力) the application supervises, and the kinds of
what villagers report through 监督一点通."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Matter:
    code: str
    name: str
    name_en: str


MATTERS: tuple[Matter, ...] = (
    Matter("project", "村级工程", "Village projects"),
    Matter("labour", "劳务用工", "Hired labour"),
    Matter("asset", "资产资源", "Collective assets and resources"),
    Matter("relief", "救助补助", "Relief and subsidies"),
    Matter("procurement", "村级采购", "Village procurement"),
    Matter("seal", "印章管理", "Seal use"),
)
OTHER = Matter("other", "其他村务", "Other village affairs")
BY_CODE = {m.code: m for m in (*MATTERS, OTHER)}


def label(code: str, lang: str = "zh") -> str:
    m = BY_CODE.get(code)
    if m is None:
        return code
    return m.name_en if lang == "en" else m.name
