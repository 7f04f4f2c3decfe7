"""The demo builder on SQLite and PostgreSQL: builds the small province once per backend (in a
transaction rolled back at the end of the module), then checks counts, idempotence, requests and the
Jinhua pre-review."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session
from tests.conftest import private_engine

from digigov.core.warehouse import Warehouse, set_warehouse
from digigov.demo import content as cc
from digigov.demo.builder import STEPS, BuildReport, build
from digigov.identity import service as identity
from digigov.identity.actor import Actor
from digigov.platform.catalog import service as catalog
from digigov.platform.catalog.model import RequestItem, Resource, ResourceRequest
from digigov.platform.warehouse import governance
from digigov.platform.warehouse import service as warehouse_service
from digigov.platform.warehouse.model import Dataset


@dataclass
class Built:
    session: Session
    report: BuildReport
    catalogue: cc.Catalogue


@pytest.fixture(scope="module")
def warehouse(backend: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Warehouse]:
    """One warehouse per backend for the module (it overrides the per-test one): the province is built once
    on each store, and each build needs a warehouse of its own (in one process both builds run here)."""
    wh = Warehouse(tmp_path_factory.mktemp(f"demo-wh-{backend}") / "warehouse.duckdb")
    set_warehouse(wh)
    yield wh
    set_warehouse(None)


@pytest.fixture(scope="module")
def data_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("demo-data")


@pytest.fixture(scope="module")
def built(backend: str, warehouse: Warehouse, data_dir: Path) -> Iterator[Built]:
    """The small demo province, built once per backend on a store of its own, inside a transaction that is rolled
    back (an open transaction on the shared SQLite store would lock other tests out)."""
    with private_engine(backend, data_dir) as engine:
        yield from _built(engine, data_dir)


def _built(engine: Engine, data_dir: Path) -> Iterator[Built]:
    conn = engine.connect()
    trans = conn.begin()
    session = Session(bind=conn, join_transaction_mode="create_savepoint", expire_on_commit=False)
    try:  # a failed build must still roll back, or its open transaction blocks dropping the test schema
        report = build(session, Actor.operator(), scale="small", data_dir=data_dir)
        session.flush()
        yield Built(session, report, cc.catalogue("small"))
    finally:
        session.close()
        trans.rollback()
        conn.close()


def actor(session: Session, username: str) -> Actor:
    return Actor.from_user(identity.get_user(session, username))


def snapshot(session: Session) -> dict[str, object]:
    resources = session.execute(
        select(
            Resource.code,
            Resource.name,
            Resource.kind,
            Resource.status,
            Resource.reuse_count,
            Resource.updated_at,
            Resource.functions,
            Resource.attributes,
        ).order_by(Resource.code)
    ).all()
    items = session.execute(select(RequestItem.id, RequestItem.state).order_by(RequestItem.id)).all()
    return {"resources": [tuple(r) for r in resources], "items": [tuple(i) for i in items]}


def test_build_small_counts(built: Built) -> None:
    expected = built.catalogue.counts()
    data = built.report.data
    assert data is not None
    assert len(data.loads) + len(data.derived) >= 9
    # every warehouse dataset (the departments', the derived ones, the applications' own) is registered as it loads
    loaded = int(built.session.scalar(select(func.count()).select_from(Dataset)) or 0)
    for kind, n in expected.items():
        assert built.report.counts[kind] == n + (loaded if kind == "dataset" else 0), kind
        assert built.report.created[kind] == n, kind
    assert built.report.counts["resource_request"] >= 4
    assert built.report.counts["duplicate_check"] >= len(cc.KNOWN_PAIRS)
    assert {u.username for u in built.report.users} >= {"admin", "hz_civil_officer", "jh_bigdata_approver"}
    assert all(len(u.password) >= 10 for u in built.report.users)
    assert built.report.elapsed > 0
    print(f"built small in {built.report.elapsed:.1f}s: {built.report.counts}")


def test_rerun_builds_nothing_new_and_changes_nothing(built: Built, data_dir: Path) -> None:
    before = snapshot(built.session)
    calls: list[tuple[str, int, int]] = []
    again = build(
        built.session,
        Actor.operator(),
        scale="small",
        data_dir=data_dir,
        progress=lambda step, done, total: calls.append((step, done, total)),
    )
    assert again.created_total == 0, again.created
    assert again.counts == built.report.counts
    assert again.data is not None and {r["state"] for r in again.data.loads.values()} == {"unchanged"}
    assert snapshot(built.session) == before
    seen = [s for s in dict.fromkeys(step for step, _, _ in calls)]
    assert seen == list(STEPS)
    last = {step: (done, total) for step, done, total in calls}
    assert all(done == total for done, total in last.values())


def test_real_applications_and_their_dependencies(built: Built) -> None:
    s = built.session
    op = Actor.operator()
    by_name = {r.name: r for r in s.scalars(select(Resource).where(Resource.kind == "application"))}
    wm = by_name["浙江外卖在线"]
    assert wm.owner.code == "330000-market_regulation" and wm.tier == "province"
    assert wm.system == "digital_government" and "阳光厨房" in wm.functions
    mhwy = by_name["民呼我为"]
    assert mhwy.owner.code == "330100-big_data" and mhwy.region_code == "330100"
    deps = {r.name for r in catalog.dependencies(s, mhwy)}
    assert {"杭州市12345热线工单", "工单流转引擎", "文本分类"} <= deps
    engine = catalog.get_resource(
        s, op, next(r.code for r in catalog.dependencies(s, mhwy) if r.name == "工单流转引擎")
    )
    assert engine.reuse_count >= 10  # reused by many applications
    assert {r.name for r in catalog.dependencies(s, engine)} == {"省政务云-公共组件ECS集群"}
    assert by_name["危化品全链条安全风险智控"].owner.code == "330200-emergency_management"
    assert by_name["全民安心医保城市"].owner.code == "330700-medical_security"
    counts = catalog.shelf_counts(s, op)
    assert counts["application"] == 120 and counts["component"] == 40


def test_search_finds_demo_content(built: Built) -> None:
    result = catalog.search(built.session, Actor.operator(), "外卖")
    assert result.total >= 1
    assert "浙江外卖在线" in [h.resource.name for h in result.hits]


def test_requests_in_several_states(built: Built) -> None:
    s = built.session
    civil = actor(s, "hz_civil_officer")
    mine = catalog.my_requests(s, civil)
    assert mine
    states = Counter(i.state for r in mine for i in r.items)
    assert states["granted"] >= 1 and states["owner_review"] >= 1 and states["provisioned"] >= 1
    assert catalog.cart_items(s, civil)  # something left in the cart
    assert catalog.inbox(s, actor(s, "hz_hrss_steward"))  # the pending owner review
    assert catalog.inbox(s, actor(s, "hz_police_steward"))
    authority = catalog.inbox(s, actor(s, "hz_bigdata_approver"))
    assert any(i.state == "authority_review" for i in authority)
    all_states = Counter(s.scalars(select(RequestItem.state)))
    assert set(all_states) == {"owner_review", "authority_review", "granted", "denied", "provisioned"}
    denied = s.scalar(select(RequestItem).where(RequestItem.state == "denied"))
    assert denied is not None and denied.owner_comment
    assert s.scalar(select(ResourceRequest).where(ResourceRequest.purpose.contains("低保"))) is not None


def test_jinhua_review_against_the_catalogue(built: Built) -> None:
    s = built.session
    checker = actor(s, "jh_bigdata_approver")
    verdicts: Counter[str] = Counter()
    agree = 0
    by_name = {}
    for p in cc.proposals():
        check = catalog.check_duplicates(
            s,
            checker,
            name=p.name,
            description=p.description,
            functions=p.functions,
            proposer_department=p.department,
            budget_wan=p.budget_wan,
            save=False,
        )
        verdicts[check.verdict] += 1
        agree += check.verdict == p.expected
        by_name[p.name] = check
    print(
        f"Jinhua pre-review (62 proposals, 24 departments) against the small catalogue: "
        f"reject {verdicts['reject']}, reduce_budget {verdicts['reduce_budget']}, pass {verdicts['pass']}; "
        f"agreement with the intended verdicts {agree}/62 (the 2021 review: 11 / 30 / 21)"
    )
    assert 6 <= verdicts["reject"] <= 16
    assert 20 <= verdicts["reduce_budget"] <= 40
    assert 12 <= verdicts["pass"] <= 30
    for proposal, app, verdict in cc.KNOWN_PAIRS:
        check = by_name[proposal]
        assert check.verdict == verdict, (proposal, check.verdict)
        if verdict != "pass":
            assert app in [m["name"] for m in check.matches], (proposal, app)
    saved = catalog.list_duplicate_checks(s, checker)
    assert {c.name for c in saved} >= {p for p, _a, _v in cc.KNOWN_PAIRS}


def test_the_departments_data_loads_through_ingestion(built: Built) -> None:
    data = built.report.data
    assert data is not None and len(data.loads) == 9
    for code, load in data.loads.items():
        assert load["state"] == "committed", code
        assert int(load["accepted"]) + int(load["quarantined"]) == int(load["rows_in"]), code
    assert int(data.loads["ps_household"]["rows_in"]) > 1000
    assert sum(int(r["quarantined"]) for r in data.loads.values()) > 0  # the planted bad check digits
    s = built.session
    household = warehouse_service.describe(s, Actor.operator(), "ps_household")
    fields = {f["header"]: f for f in household["fields"]}
    assert fields["公民身份号码"]["grade"] == "L4" and household["grade"] == "L4"
    assert household["catalog_code"] and household["quality_score"] is not None
    graph = warehouse_service.lineage(s, Actor.operator(), "topic_claims_after_death")
    assert {e["source"] for e in graph["edges"]} == {"ms_claim", "ca_death"}


def test_the_demo_rules_find_the_planted_duplicates(built: Built) -> None:
    from digigov.platform.quality import service as quality

    items = {i.problem: i for i in quality.list_issues(built.session, Actor.operator(), dataset="ps_household")}
    duplicates = [i for p, i in items.items() if p.startswith("rule:ps_household.id_unique")]
    assert duplicates and duplicates[0].rows > 0  # the generator plants ~0.3% duplicate records
    ds = warehouse_service.get(built.session, Actor.operator(), "hr_contribution")
    load = governance.current_load(built.session, ds)
    assert load is not None
    results = {r["rule"]: r for r in load.report["quality"]["results"]}
    employer = results["hr_contribution.employer_registered"]
    assert employer["skipped"] is None and employer["checked"] > 1000  # joined against the enterprise registry


def test_the_demo_publishes_open_datasets_of_grade_1_only(built: Built) -> None:
    from digigov.demo import open_data
    from digigov.platform.opendata import service as opendata

    s = built.session
    listed = {o.code for o in opendata.open_datasets(s)}
    assert {spec.code for spec in open_data.SPECS} <= listed  # the portal is not empty on a demo
    for spec in open_data.SPECS:
        described = warehouse_service.describe(s, Actor.operator(), spec.code)
        assert described["grade"] == "L1" and all(f["grade"] == "L1" for f in described["fields"]), spec.code
        assert built.report.data is not None and built.report.data.derived[spec.code] > 0
    for code in ("ps_household", "ca_subsistence", "mr_enterprise", "topic_claims_after_death"):
        assert code not in listed  # personal data stays shared-only


def test_the_demo_shares_data_in_every_state_a_user_meets(built: Built) -> None:
    from digigov.platform.sharing import service as sharing

    s = built.session
    assert {k: v for k, v in built.report.sharing.items() if k != "made"} == {
        "granted": 2, "owner_review": 1, "refused": 1}
    officer = actor(s, "hz_civil_officer")
    (grant,) = sharing.grants(s, officer)
    assert "住所" not in grant.fields and grant.row_filter  # narrowed by the steward, filtered to Hangzhou
    assert [u.calls for u in sharing.usage(s, officer)] == [3]
    assert [r.purpose for r in sharing.inbox(s, actor(s, "zj_market_steward"))] == [
        "社会保险参保扩面：新设立企业名单"]
