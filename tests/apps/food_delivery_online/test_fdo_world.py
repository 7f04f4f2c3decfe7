"""The application on the small demo province, on SQLite and PostgreSQL: its data handed over by the right
departments, every listing's verdict equal to what the generator planted, counts that balance, the riders' false
declarations found, the health index ordering the platforms as planted, the risks turned into cases at the right
bureaus (once: a re-check notes the open case), every read of the departments' data audited."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session
from tests.apps.food_delivery_online.fdo_world import World

from digigov.apps.digital_government.food_delivery_online import datasets, plugin, reference, service
from digigov.apps.digital_government.food_delivery_online.case_type import TYPE_CODE
from digigov.apps.digital_government.food_delivery_online.model import FdoFinding, FdoListing
from digigov.audit.model import AuditRecord
from digigov.core.errors import PermissionDenied
from digigov.identity import service as identity
from digigov.identity.actor import Actor
from digigov.platform.cases.model import Case
from digigov.platform.warehouse.model import Dataset


def test_the_data_is_handed_over_by_its_departments(fdo_session: Session, fdo_world: World) -> None:
    owners = {d.code: d.owner.code for d in fdo_session.scalars(select(Dataset))}
    for spec in datasets.OWN:
        assert owners[spec.code] == spec.department
    assert owners["fdo_injury_insurance"] == "330000-human_resources"
    assert owners["fdo_traffic_accident"] == "330000-public_security"
    run = service.latest_run(fdo_session)
    assert run is not None and fdo_world.figures["fdo_listings"] == run.listings
    listing_rows = fdo_session.scalar(select(Dataset.row_count).where(Dataset.code == "fdo_listing"))
    assert run.sources["fdo_listing"]["rows"] == listing_rows == run.listings


def test_every_listing_gets_the_planted_verdict(fdo_session: Session, fdo_world: World) -> None:
    run = service.latest_run(fdo_session)
    assert run is not None
    truth = fdo_world.truth
    got = {f"{r.platform}:{r.shop_id}": r.kinds for r in
           fdo_session.scalars(select(FdoListing).where(FdoListing.run_id == run.id))}
    assert {k: sorted(v) for k, v in got.items()} == truth["listings"]
    for kind in reference.LISTING_KINDS:  # every check has something planted to find
        assert truth["planted"].get(kind, 0) > 0, kind
    # the counts balance: each listing one verdict, compliant or not
    counts = service.verdict_counts(fdo_session, run.id)
    assert counts["compliant"] + counts["non_compliant"] == run.listings == len(got)
    assert counts == {"compliant": run.compliant, "non_compliant": run.non_compliant}
    assert run.non_compliant == sum(1 for v in truth["listings"].values() if v)
    findings = fdo_session.scalar(select(func.count()).select_from(FdoFinding).where(
        FdoFinding.run_id == run.id, FdoFinding.subject == "listing"))
    assert findings == sum(len(v) for v in truth["listings"].values())


def test_riders_accidents_and_the_health_index(fdo_session: Session, fdo_world: World) -> None:
    run = service.latest_run(fdo_session)
    assert run is not None
    truth = fdo_world.truth
    uninsured = sorted(fdo_session.scalars(select(FdoFinding.subject_key).where(
        FdoFinding.run_id == run.id, FdoFinding.kind == "rider_uninsured")))
    assert uninsured == truth["riders_uninsured"] and uninsured
    fed_back = run.figures["accidents"]["by_platform"]
    for platform, n in truth["accident_riders"].items():
        assert sum(fed_back[platform].values()) >= n  # a rider on two platforms is fed back to both
    assert [s.platform for s in service.scores(fdo_session, run.id)] == truth["platform_order"]
    pressure = run.figures["delivery_time"]["by_platform"]
    assert pressure["zhelisong"]["share_below"] > service.PRESSURE_THRESHOLD > pressure["xianda"]["share_below"]
    time_findings = fdo_session.scalars(select(FdoFinding).where(FdoFinding.run_id == run.id,
                                                                 FdoFinding.kind == "delivery_time_pressure")).all()
    assert [f.platform for f in time_findings] == ["zhelisong"]


def test_risks_become_cases_at_the_right_bureaus(fdo_session: Session) -> None:
    run = service.latest_run(fdo_session)
    assert run is not None
    flagged = fdo_session.scalars(select(FdoListing).where(FdoListing.run_id == run.id,
                                                           FdoListing.verdict == "non_compliant")).all()
    assert flagged and all(r.case_id for r in flagged)
    for row in flagged:
        case = fdo_session.get(Case, row.case_id)
        assert case is not None and case.type_code == TYPE_CODE and case.status == "assigned"
        assert case.category == row.kinds[0] and case.subject_key == f"fdo:listing:{row.platform}:{row.shop_id}"
        assert case.department is not None and case.department.code == f"{row.county_code}-market_regulation"
    riders_cases = fdo_session.scalars(select(Case).where(Case.type_code == TYPE_CODE,
                                                          Case.category == "rider_uninsured")).all()
    assert riders_cases and all(c.department and c.department.kind == "human_resources"
                                and c.department.tier == "county" for c in riders_cases)
    time_case = fdo_session.scalar(select(Case).where(Case.subject_key == "fdo:time:zhelisong"))
    assert time_case is not None and time_case.department and time_case.department.code == "330000-market_regulation"
    total = fdo_session.scalar(select(func.count()).select_from(Case).where(Case.type_code == TYPE_CODE))
    assert total == run.cases_opened == len(flagged) + len(riders_cases) + 1
    compliant = fdo_session.scalars(select(FdoListing).where(FdoListing.run_id == run.id,
                                                             FdoListing.verdict == "compliant")).all()
    assert all(r.case_id is None for r in compliant)


def test_a_recheck_notes_the_open_cases(fdo_session: Session, actor_of_world: Actor) -> None:
    first = service.latest_run(fdo_session)
    assert first is not None
    before = fdo_session.scalar(select(func.count()).select_from(Case).where(Case.type_code == TYPE_CODE))
    again = service.run(fdo_session, actor_of_world)
    assert again.id != first.id and again.cases_opened == 0
    assert again.figures["cases"]["updated"] == first.cases_opened
    assert fdo_session.scalar(select(func.count()).select_from(Case).where(Case.type_code == TYPE_CODE)) == before
    assert (again.listings, again.compliant) == (first.listings, first.compliant)
    # a closed case whose risk is still there: the next round opens a new one
    case = fdo_session.scalar(select(Case).where(Case.subject_key == "fdo:time:zhelisong"))
    assert case is not None
    case.status = "closed"
    fdo_session.flush()
    third = service.run(fdo_session, actor_of_world)
    assert third.cases_opened == 1
    reads = fdo_session.scalars(select(AuditRecord).where(AuditRecord.action == "fdo.source.read",
                                                          AuditRecord.actor == actor_of_world.username)).all()
    read_datasets = {r.object_id: json.loads(r.detail)["owner"] for r in reads}
    assert read_datasets["fdo_injury_insurance"] == "330000-human_resources"
    assert read_datasets["fdo_traffic_accident"] == "330000-public_security"
    assert read_datasets["mr_food_licence"] == "330000-market_regulation"
    assert len(reads) == 2 * (len(datasets.OWN) + 2) and all(r.purpose for r in reads)


def test_who_may_run_it(fdo_session: Session) -> None:
    def actor(username: str) -> Actor:
        return Actor.from_user(identity.get_user(fdo_session, username))

    for username in ("hz_civil_officer", "xh_market_officer", "auditor"):
        with pytest.raises(PermissionDenied):
            service.run(fdo_session, actor(username))
    assert service.cockpit(fdo_session, actor("auditor")) is not None  # auditors may look
    with pytest.raises(PermissionDenied):
        service.cockpit(fdo_session, Actor(username="nobody"))


@pytest.fixture
def actor_of_world(fdo_session: Session) -> Actor:
    return Actor.from_user(identity.get_user(fdo_session, "zj_market_officer"))


def test_the_demo_hook(fdo_session: Session, tmp_path: Path) -> None:
    """The hook the demo builder calls after the departments' data: nothing without a data directory, nothing
    again on a store that holds a run (idempotent)."""
    op = Actor.operator()
    assert plugin.build_demo(fdo_session, op, "small", 2021, None, None) == {"fdo_listings": 0}
    assert plugin.build_demo(fdo_session, op, "small", 2021, tmp_path, None) == {"fdo_listings": 0}
    assert not (tmp_path / "food_delivery_online").exists()
    assert plugin.app_manifest()["owner"] == "330000-market_regulation"
