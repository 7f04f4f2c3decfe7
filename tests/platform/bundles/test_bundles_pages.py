"""The 一件事 pages through the web app: the public portal (a citizen applies in two steps, follows the status page
and rates), the departments' application pages with their decision forms, the designer and the ratings page."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from bundles_helpers import FATHER, MOTHER, NEWBORN_ANSWERS, actor, grant
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session
from tests.conftest import make_app
from tests.web.conftest import Console, csrf_of, login_client

from digigov.platform.bundles import service
from digigov.platform.bundles.model import BundleApplication, BundleDefinition


def _app(world: Any, tmp_path: Path) -> Any:
    return make_app(world.connection, tmp_path, warehouse_path=str(tmp_path / "warehouse.duckdb"))


def _staff(world: Any, tmp_path: Path, people: Any, username: str) -> Console:
    return login_client(_app(world, tmp_path), username, people[username].password)


def _citizen_applies(client: TestClient) -> str:
    page = client.get("/bundles/newborn")
    assert page.status_code == 200
    csrf = csrf_of(page.text)
    step2 = client.post("/bundles/newborn/form", data={
        "csrf_token": csrf, "applicant_name": FATHER.name, "id_applicant": FATHER.citizen_id,
        "id_mother": MOTHER.citizen_id, "id_father": FATHER.citizen_id})
    assert step2.status_code == 200, step2.text[-2000:]
    assert 'name="f:applicant.address"' not in step2.text  # prefilled under public security's grant
    assert "西湖区公安分局共享授权" in step2.text and "已预填" in step2.text
    fields = {f"f:{k}": v for k, v in NEWBORN_ANSWERS.items()}
    files = [(name, (f"{name[2:]}.pdf", b"%PDF-1.4 scan", "application/pdf"))
             for name in sorted(set(re.findall(r'name="(m:[^"]+)"', step2.text)))]
    assert files, "the form asks for the materials to upload"
    done = client.post("/bundles/newborn/apply", data={
        "csrf_token": csrf, "applicant_name": FATHER.name, "id_applicant": FATHER.citizen_id,
        "id_mother": MOTHER.citizen_id, "id_father": FATHER.citizen_id, **fields}, files=files,
        follow_redirects=False)
    assert done.status_code == 303, done.text[-3000:]
    return str(done.headers["location"])


def test_a_citizen_applies_follows_and_rates(bsession: Session, world: Any, tmp_path: Path) -> None:
    grant(bsession, "xh_police_officer")
    bsession.commit()
    client = TestClient(_app(world, tmp_path))
    index = client.get("/bundles")
    assert index.status_code == 200
    for name in ("新生儿出生一件事", "企业开办一件事", "身后一件事", "退休一件事"):
        assert name in index.text
    assert client.get("/bundles/newborn", params={"format": "json"}).json()["before"]["materials"] == 18
    location = _citizen_applies(client)
    assert location.startswith("/bundles/status/") and location.endswith("?new=1")
    status = client.get(location)
    assert status.status_code == 200 and "YJS" in status.text and "西湖区公安分局" in status.text
    app = bsession.scalar(select(BundleApplication).where(BundleApplication.applicant_id_number ==
                                                          FATHER.citizen_id))
    assert app is not None and app.form["applicant.address"] == FATHER.address and len(app.materials) >= 3
    handlers = {"health.birth_certificate": "xh_health_officer",
                "public_security.birth_registration": "xh_police_officer",
                "medical_security.newborn_enrolment": "xh_medsec_officer",
                "human_resources.social_security_card": "hz_hrss_steward"}
    for run in app.runs:
        service.decide_item(bsession, actor(bsession, handlers[run.item_code]), run.id, outcome="approved",
                            note="准予。", certificate="N-" + run.item_code[:3])
    bsession.commit()
    token = location.split("/")[3].split("?")[0]
    done = client.get(f"/bundles/status/{token}")
    assert 'id="combined-result"' in done.text and "全部准予" in done.text and 'id="rating-form"' in done.text
    rated = client.post(f"/bundles/status/{token}/rating", data={"csrf_token": csrf_of(done.text), "rating": "5",
                                                                "comment": "不用跑"}, follow_redirects=False)
    assert rated.status_code == 303
    after = client.get(f"/bundles/status/{token}")
    assert 'id="my-rating"' in after.text and "★★★★★" in after.text
    as_json = client.get(f"/bundles/status/{token}", params={"format": "json"}).json()
    assert as_json["rating"] == 5 and as_json["result"] == "approved" and len(as_json["items"]) == 4
    ratings = client.get("/bundles/ratings")
    assert ratings.status_code == 200 and 'data-bundle="newborn"' in ratings.text
    row = next(r for r in client.get("/bundles/ratings", params={"format": "json"}).json()["bundles"]
               if r["code"] == "newborn")
    assert row["rated"] == 1 and row["average_rating"] == 5 and row["completed"] == 1


def test_a_wrong_id_number_is_refused_on_step_one(bsession: Session, world: Any, tmp_path: Path) -> None:
    client = TestClient(_app(world, tmp_path))
    csrf = csrf_of(client.get("/bundles/newborn").text)
    bad = client.post("/bundles/newborn/form", data={"csrf_token": csrf, "applicant_name": FATHER.name,
                                                     "id_applicant": FATHER.citizen_id[:-1] + "0",
                                                     "id_mother": MOTHER.citizen_id})
    assert bad.status_code == 422 and "公民身份号码无效" in bad.text


def test_departments_see_their_items_and_decide_from_the_page(bsession: Session, world: Any, tmp_path: Path,
                                                             people: Any) -> None:
    from bundles_helpers import apply_newborn

    app = apply_newborn(bsession)
    bsession.commit()
    police = _staff(world, tmp_path, people, "xh_police_officer")
    listing = police.get("/bundles/applications")
    assert listing.status_code == 200 and app.receipt in listing.text and 'id="work"' in listing.text
    page = police.get(f"/bundles/applications/{app.id}")
    assert page.status_code == 200
    assert "汉族" in page.text  # public security's own field
    assert "杭州银行" not in page.text  # the social security card's field is not public security's business
    assert 'data-item="public_security.birth_registration"' in page.text
    run = next(r for r in app.runs if r.item_code == "public_security.birth_registration")
    decided = police.post_form(f"/bundles/applications/{app.id}/items/{run.id}/decide",
                               {"outcome": "approved", "note": "已登记", "certificate": "330106202611200015"})
    assert decided.status_code == 303
    bsession.refresh(run)
    assert run.status == "done" and run.certificate == "330106202611200015"
    # a department with nothing to do with the application does not see it
    market = _staff(world, tmp_path, people, "xh_market_officer")
    assert market.get(f"/bundles/applications/{app.id}").status_code == 403


def test_the_designer_bundles_items_and_publishes(bsession: Session, world: Any, tmp_path: Path,
                                                  people: Any) -> None:
    designer = _staff(world, tmp_path, people, "hz_bigdata_approver")
    assert designer.get("/bundles/design").status_code == 200
    preview = designer.get("/bundles/design/newborn")
    assert preview.status_code == 200 and 'data-key="newborn.person_name"' in preview.text
    assert designer.get("/bundles/design/new").status_code == 200
    form = {"code": "pension_only", "name": "退休待遇一件事", "lifecycle": "citizen.retirement",
            "region_code": "330106", "lead_kind": "human_resources", "steps": "一表申请\n并联办理",
            "trips": "0", "time_limit": "8",
            "items": ["human_resources.pension_claim", "medical_security.retiree_insurance"]}
    saved = designer.post_form("/bundles/design", form)
    assert saved.status_code == 303 and saved.headers["location"] == "/bundles/design/pension_only"
    as_json = designer.get("/bundles/design/pension_only", params={"format": "json"}).json()
    assert as_json["status"] == "draft" and as_json["after"]["days"] == 8 and as_json["before"]["days"] == 15
    assert [f["key"] for f in as_json["fields"]].count("applicant.address") == 1
    assert designer.post_form("/bundles/design/pension_only/publish").status_code == 303
    d = bsession.scalar(select(BundleDefinition).where(BundleDefinition.code == "pension_only"))
    assert d is not None and d.status == "published" and d.version == 1
    # an item of the other life cycle is refused; a county officer may not design
    bad = designer.post_form("/bundles/design", {**form, "code": "mixed",
                                                 "items": ["human_resources.pension_claim", "bank.basic_account"]})
    assert bad.status_code == 422 and "不属于该生命周期" in bad.text
    officer = _staff(world, tmp_path, people, "xh_police_officer")
    assert officer.post_form("/bundles/design", {**form, "code": "not_mine"}).status_code == 403
