"""The demo: the shipped bundles published, the departments' grants made through data sharing, applications in
different states (one completed and rated, one half-way, one completed with an item refused, one just accepted),
and a second run that adds nothing."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from digigov.identity.actor import Actor
from digigov.platform.bundles import demo
from digigov.platform.bundles.model import BundleApplication, BundleDefinition
from digigov.platform.sharing.model import Grant


def test_the_demo_makes_applications_in_every_state(bsession: Session) -> None:
    first = demo.build(bsession, Actor.operator())
    assert first["applications"] == 4 and first["grants"] >= 8  # the death register is 西湖区民政局's own here
    assert {d.code for d in bsession.scalars(select(BundleDefinition).where(BundleDefinition.status == "published"))} \
        >= {"newborn", "enterprise_opening", "after_death", "retirement"}
    apps = {(a.bundle_code, a.status, a.result, a.rating) for a in bsession.scalars(select(BundleApplication))}
    assert ("newborn", "completed", "approved", 5) in apps
    assert ("newborn", "in_progress", "", None) in apps
    assert ("after_death", "completed", "partial", None) in apps
    assert ("enterprise_opening", "in_progress", "", None) in apps
    rated = bsession.scalar(select(BundleApplication).where(BundleApplication.rating == 5))
    assert rated is not None and rated.prefilled, "the demo's applicants are found in the person files"
    assert rated.completed_at is not None and rated.completed_at > rated.submitted_at
    assert bsession.scalar(select(Grant).where(Grant.dataset_code == "ps_household")) is not None
    again = demo.build(bsession, Actor.operator())
    assert again["applications"] == 0 and again["grants"] == 0 and again["bundles"] == 0
