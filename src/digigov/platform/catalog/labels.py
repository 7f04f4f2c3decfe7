"""Chinese-first display labels (中文, English) for the catalogue's codes."""

from __future__ import annotations

from digigov.core.i18n import register

KIND_LABELS = {
    "application": ("应用", "Applications"),
    "dataset": ("数据", "Data"),
    "component": ("组件", "Components"),
    "cloud_resource": ("云资源", "Cloud resources"),
}
SYSTEM_LABELS = {
    "party_governance": ("党政机关整体智治", "Party and government"),
    "digital_government": ("数字政府", "Digital government"),
    "digital_economy": ("数字经济", "Digital economy"),
    "digital_society": ("数字社会", "Digital society"),
    "rule_of_law": ("数字法治", "Digital rule of law"),
}
ITEM_STATE_LABELS = {
    "owner_review": ("待数源部门审核", "Owner review"),
    "authority_review": ("待大数据局审核", "Authority review"),
    "granted": ("已同意", "Granted"),
    "denied": ("已拒绝", "Denied"),
    "provisioned": ("已开通", "Provisioned"),
}
VERDICT_LABELS = {
    "reject": ("主要功能重复，不予立项", "Reject: main functions duplicate"),
    "reduce_budget": ("部分功能重复，核减预算", "Reduce budget: partial overlap"),
    "pass": ("通过", "Pass"),
}
TIER_LABELS = {
    "province": ("省级", "Province"),
    "city": ("市级", "City"),
    "county": ("县级", "County"),
}
STATUS_LABELS = {
    "planned": ("规划中", "Planned"),
    "building": ("建设中", "Building"),
    "online": ("已上线", "Online"),
    "offline": ("已下线", "Offline"),
    "retired": ("已退役", "Retired"),
}


def label(table: dict[str, tuple[str, str]], code: str | None, lang: str = "zh") -> str:
    if code is None or code not in table:
        return code or ""
    zh, en = table[code]
    return en if lang == "en" else zh

# Kind-specific metadata keys (Resource.attributes) as shown on a resource page.
ATTRIBUTE_LABELS = {
    "update_frequency": ("更新频率", "Update frequency"),
    "share_attribute": ("共享属性", "Sharing attribute"),
    "open_attribute": ("开放属性", "Open attribute"),
    "grade": ("安全分级", "Grade"),
    "record_count": ("记录数", "Records"),
    "fields": ("字段", "Fields"),
    "api_style": ("接口方式", "API style"),
    "version": ("版本", "Version"),
    "sla": ("服务等级", "SLA"),
    "resource_type": ("资源类型", "Resource type"),
    "spec": ("规格", "Specification"),
    "vcpu": ("vCPU", "vCPU"),
    "memory_gb": ("内存 (GB)", "Memory (GB)"),
    "storage_gb": ("存储 (GB)", "Storage (GB)"),
    "node": ("政务云节点", "Cloud node"),
    "named_in_sources": ("公开报道提及", "Named in public sources"),
    "template": ("建设模板", "Template"),
    "warehouse_table": ("数据仓表", "Warehouse table"),
    "gb_level": ("国标级别（GB/T 43697）", "National level (GB/T 43697)"),
    "quality_score": ("质量评分", "Quality score"),
    "last_load_at": ("最近归集", "Last load"),
}


# Error messages and field names for the catalogue's use cases (digigov.core.i18n.error_text).
register({
    "error.resource_exists": ("资源编码 {code} 已存在", "Resource {code} exists"),
    "error.depends_on_itself": ("资源不能依赖自身", "A resource cannot depend on itself"),
    "error.dependency_direction": ("依赖方向不对：应用 → 数据 → 组件 → 云资源（{code} 不能依赖 {depends_on}）",
                                   "Dependencies run application → dataset → component → cloud resource "
                                   "({code} cannot depend on {depends_on})"),
    "error.dependency_cycle": ("{depends_on} 已（间接）依赖 {code}，不能形成循环依赖",
                               "{depends_on} already depends on {code}; no cycles"),
    "error.cart_empty": ("购物车是空的，请先在检索结果或资源页“加入购物车”", "The cart is empty"),
    "error.not_requestable": ("{code} 已下线或退役，不能申请", "{code} is offline or retired and cannot be requested"),
    "error.nothing_to_decide": ("该事项已处理（当前状态：{state}）", "This item is already decided ({state})"),
    "error.refusal_reason": ("拒绝时请填写理由", "A refusal needs a reason in the comment"),
    "error.not_granted": ("只有已同意的事项才能开通（当前状态：{state}）",
                          "Only a granted item can be provisioned ({state})"),
    "error.functions_needed": ("请逐行列出拟建应用的功能（或在建设内容中描述）",
                               "List the proposed functions, one per line (or describe them)"),
    **{f"state.{code}": names for code, names in ITEM_STATE_LABELS.items()},
    "field.name": ("名称", "name"),
    "field.name_en": ("英文名称", "English name"),
    "field.description": ("描述", "description"),
    "field.kind": ("资源类型", "kind"),
    "field.system": ("所属系统", "system"),
    "field.status": ("状态", "status"),
    "field.tags": ("标签", "tags"),
    "field.functions": ("功能清单", "functions"),
    "field.code": ("编码", "code"),
    "field.purpose": ("用途", "purpose"),
    "field.legal_basis": ("法律依据", "legal basis"),
    "field.comment": ("审批意见", "comment"),
    "field.note": ("开通说明", "note"),
    "field.q": ("检索词", "query"),
    "field.tier": ("层级", "tier"),
    "field.budget_wan": ("预算（万元）", "budget (10k yuan)"),
})
