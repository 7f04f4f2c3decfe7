"""The demo catalogue content: deterministic, the right sizes, every owner and dependency real."""

from __future__ import annotations

from collections import Counter

import pytest

from digigov.demo import content as cc
from digigov.platform.catalog import duplicate as dup
from digigov.platform.catalog.model import STATUSES, SYSTEMS

# The applications named in the press release and the reference notes, with their real owners.
REAL_OWNERS = {
    "浙江公平在线": "330000-market_regulation",
    "浙江外卖在线": "330000-market_regulation",
    "七张问题清单": "330000-discipline",
    "基层公权力大数据监督": "330000-discipline",
    "浙里人才管家": "330000-human_resources",
    "志愿浙江": "330000-civil_affairs",
    "为侨服务“全球通”2.0": "330000-public_security",
    "人大代表履职": "330000-peoples_congress",
    "政协委员协商议政": "330000-cppcc",
    "民呼我为": "330100-big_data",
    "危化品全链条安全风险智控": "330200-emergency_management",
    "海上综合智治": "330300-public_security",
    "社会治理风险闭环管控": "330500-justice",
    "污水管网数字孪生": "330400-housing",
    "古城信息管理": "330600-culture_tourism",
    "全民安心医保城市": "330700-medical_security",
    "四省边际政务服务跨省通办": "330800-big_data",
    "自贸区国际船油加注智能监管服务": "330900-transport",
    "亲农在线": "331000-agriculture",
    "天眼守望“两山”转化综合智治": "331100-ecology_environment",
}


@pytest.fixture(scope="module")
def catalogues() -> dict[str, cc.Catalogue]:
    return {scale: cc.catalogue(scale) for scale in cc.SCALES}


def test_same_seed_same_catalogue_and_another_seed_differs() -> None:
    a, b = cc.catalogue("small", 2021), cc.catalogue("small", 2021)
    assert a.applications == b.applications
    assert (
        a.datasets == b.datasets and a.components == b.components and a.cloud_resources == b.cloud_resources
    )
    other = cc.catalogue("small", 7)
    assert [x.name for x in other.applications] != [x.name for x in a.applications]
    assert cc.proposals(2021) == cc.proposals(2021)
    assert cc.proposals(7) != cc.proposals(2021)


def test_sizes_per_scale(catalogues: dict[str, cc.Catalogue]) -> None:
    counts = {scale: cat.counts() for scale, cat in catalogues.items()}
    assert counts["small"]["application"] == 120
    assert counts["medium"]["application"] == 200
    assert counts["large"]["application"] == 2000
    for scale in cc.SCALES:
        assert 38 <= counts[scale]["component"] <= 45
    assert 55 <= counts["medium"]["dataset"] <= 75
    assert 25 <= counts["medium"]["cloud_resource"] <= 35
    assert counts["small"]["dataset"] <= counts["medium"]["dataset"] < counts["large"]["dataset"]
    assert (
        counts["small"]["cloud_resource"]
        <= counts["medium"]["cloud_resource"]
        < counts["large"]["cloud_resource"]
    )
    print({scale: c for scale, c in counts.items()})


def test_smaller_scales_are_contained_in_larger_ones(catalogues: dict[str, cc.Catalogue]) -> None:
    for small, big in (("small", "medium"), ("medium", "large")):
        for kind in ("applications", "datasets", "components", "cloud_resources"):
            names = {x.name for x in getattr(catalogues[small], kind)}
            assert names <= {x.name for x in getattr(catalogues[big], kind)}, (small, big, kind)


@pytest.mark.parametrize("scale", cc.SCALES)
def test_names_unique_owners_exist_dependencies_resolve(
    catalogues: dict[str, cc.Catalogue], scale: str
) -> None:
    cat = catalogues[scale]
    names = [r.name for r in cat.all()]
    assert len(names) == len(set(names)), [n for n, k in Counter(names).items() if k > 1][:5]
    codes = cc.department_codes()
    assert len(codes) == 102 * 26
    bad = [(r.name, r.owner) for r in cat.all() if r.owner not in codes]
    assert not bad, bad[:5]
    assert cc.dependency_problems(cat) == []


def test_real_named_applications_with_their_owners(catalogues: dict[str, cc.Catalogue]) -> None:
    for cat in catalogues.values():
        owners = {a.name: a.owner for a in cat.applications}
        for name, owner in REAL_OWNERS.items():
            assert owners.get(name) == owner, name
    mhwy = catalogues["small"].app("民呼我为")
    assert {"诉求受理", "智能分拨", "办理反馈", "满意度评价", "回头看"} <= set(mhwy.functions)
    wm = catalogues["small"].app("浙江外卖在线")
    assert {"阳光厨房", "食品安全抽检", "骑手交通安全", "商户证照核验"} <= set(wm.functions)
    assert "工单流转引擎" in mhwy.components and "杭州市12345热线工单" in mhwy.datasets


def test_applications_look_real(catalogues: dict[str, cc.Catalogue]) -> None:
    cat = catalogues["medium"]
    systems = Counter(a.system for a in cat.applications)
    assert set(systems) == set(SYSTEMS) and min(systems.values()) >= 15, systems
    tiers = Counter(a.owner.split("-")[0] for a in cat.applications)
    assert tiers["330000"] >= 10  # provincial
    assert (
        sum(1 for a in cat.applications if a.owner[4:6] == "00" and a.owner[:6] != "330000") >= 20
    )  # cities
    statuses = Counter(a.status for a in cat.applications)
    assert set(statuses) <= set(STATUSES)
    assert statuses["online"] >= 0.75 * len(cat.applications)
    for a in cat.applications:
        assert 4 <= len(a.functions) <= 10, a.name
        assert len(set(a.functions)) == len(a.functions), a.name
        assert 50 <= a.budget_wan <= 3000, a.name
        assert a.description and a.name_en
        assert any("\u4e00" <= ch <= "\u9fff" for ch in a.name)
    # templates repeat across regions, so functions overlap partially between applications
    per_function = Counter(f for a in cat.applications for f in a.functions)
    assert sum(1 for n in per_function.values() if n >= 3) >= 50


def test_components_datasets_and_cloud_attributes(catalogues: dict[str, cc.Catalogue]) -> None:
    cat = catalogues["medium"]
    comps = {c.name: c for c in cat.components}
    for name in (
        "OCR文字识别",
        "电子印章",
        "电子证照",
        "地理围栏",
        "实体解析（一人一档）",
        "短信通知",
        "浙政钉消息推送",
        "人脸识别",
        "统一支付",
        "区块链存证",
        "工单流转引擎",
        "数据脱敏",
    ):
        assert name in comps
    big_data = sum(1 for c in cat.components if c.owner.endswith("-big_data"))
    assert big_data >= len(cat.components) / 2
    for c in cat.components:
        assert c.functions and c.attributes["version"].startswith("v") and c.attributes["sla"].endswith("%")
    for d in cat.datasets:
        assert d.update_frequency in ("实时", "每日", "每月", "每年")
        assert d.share_attribute in ("无条件共享", "有条件共享", "不予共享")
        assert d.open_attribute in ("无条件开放", "受限开放", "禁止开放")
        assert d.grade in ("L1", "L2", "L3", "L4")
        assert d.record_count > 0 and len(d.fields) >= 3
        if d.open_attribute == "无条件开放":
            assert d.grade == "L1", d.name  # only grade 1 is opened directly
    ds = {d.name: d for d in cat.datasets}
    assert ds["人口基础信息"].owner == "330000-public_security"
    assert ds["法人基础信息"].owner == "330000-market_regulation"
    assert ds["企业信用评价"].open_attribute == "无条件开放"
    assert ds["医保结算明细"].grade == "L4"
    for cloud in cat.cloud_resources:
        assert cloud.owner.endswith("-big_data")
        assert cloud.resource_type in ("ECS", "RDS", "OSS", "GPU")
        assert cloud.storage_gb > 0 and "政务云" in cloud.node


def test_jinhua_proposals_shape() -> None:
    props = cc.proposals()
    assert len(props) == cc.PROPOSAL_COUNT == 62
    assert len({p.name for p in props}) == 62
    departments = {p.department for p in props}
    assert len(departments) == 24
    assert all(d.startswith("3307") for d in departments) and departments <= cc.department_codes()
    assert Counter(p.expected for p in props) == Counter(cc.EXPECTED_DISTRIBUTION)
    core = {a.name for a in cc.core_applications()}
    for p in props:
        assert (p.basis is None) == (p.expected == "pass")
        assert p.basis is None or p.basis in core
        assert 3 <= len(p.functions) <= 10 and p.budget_wan > 0
    by_name = {p.name: p for p in props}
    small = {a.name for a in cc.catalogue("small").applications}
    for proposal, app, verdict in cc.KNOWN_PAIRS:
        assert proposal in by_name and app in small and verdict in ("reject", "reduce_budget", "pass")


def _review(cat: cc.Catalogue) -> tuple[Counter[str], int, dict[str, dup.Outcome]]:
    apps = [
        dup.ExistingApp(f"APP-{i}", a.name, a.owner, a.description, a.functions)
        for i, a in enumerate(cat.applications)
        if a.status != "retired"
    ]
    outcomes = {
        p.name: dup.check(p.name, p.description, p.functions, apps, dup.Thresholds())
        for p in cc.proposals(cat.seed)
    }
    dist = Counter(o.verdict for o in outcomes.values())
    agree = sum(outcomes[p.name].verdict == p.expected for p in cc.proposals(cat.seed))
    return dist, agree, outcomes


@pytest.mark.parametrize("scale", ["small", "medium"])
def test_jinhua_review_distribution_without_a_database(
    catalogues: dict[str, cc.Catalogue], scale: str
) -> None:
    dist, agree, outcomes = _review(catalogues[scale])
    print(f"Jinhua pre-review against the {scale} catalogue: {dict(dist)}; agreement {agree}/62")
    assert 6 <= dist["reject"] <= 16
    assert 20 <= dist["reduce_budget"] <= 40
    assert 12 <= dist["pass"] <= 30
    for proposal, app, verdict in cc.KNOWN_PAIRS:
        outcome = outcomes[proposal]
        assert outcome.verdict == verdict, (proposal, outcome.verdict)
        if verdict != "pass":
            assert app in [m.name for m in outcome.matches], (proposal, app)
