"""The sharing pages through the console (a logged-in TestClient): the dataset page links to the request form,
the form submits, the steward narrows and approves in the inbox, the grant is listed and revoked, usage shows."""

from __future__ import annotations

import re

from sharing_helpers import CONSUMER, STEWARD, in_days, people
from sqlalchemy.orm import Session


def test_request_approve_revoke_through_the_pages(login, session: Session) -> None:  # type: ignore[no-untyped-def]
    people(session)
    session.commit()
    officer = login(CONSUMER)
    ds_page = officer.get("/datasets/hz_people")
    assert "/sharing/request?dataset=hz_people" in ds_page.text
    form = officer.get("/sharing/request", params={"dataset": "hz_people"})
    assert form.status_code == 200 and "申请共享数据" in form.text
    r = officer.post_form("/sharing/request", {"dataset": "hz_people", "purpose": "核对", "fields": ["phone", "age"],
                                               "unmasked": ["phone"], "channel": "api", "expires": "2099-01-01",
                                               "filter_column": "region_code", "filter_op": "prefix",
                                               "filter_value": "3301"})
    assert r.status_code == 303 and "/sharing" in r.headers["location"]
    bad = officer.post_form("/sharing/request", {"dataset": "hz_people", "purpose": "核对", "fields": ["age"],
                                                 "expires": "2026-13-01"})
    assert bad.status_code == 303  # back to the form with the reason
    r = officer.post_form("/sharing/request", {"dataset": "hz_people", "purpose": "核对",
                                               "fields": ["phone", "age"], "unmasked": ["phone"],
                                               "expires": in_days(30).isoformat()})
    assert r.status_code == 303 and re.search(r"/sharing/requests/\d+$", r.headers["location"]), r.headers
    url = r.headers["location"]
    request_id = url.rsplit("/", 1)[1]
    page = officer.get(url).text
    assert "待数源部门审核" in page
    assert "age · L1 · 不脱敏" in page and "phone · L2 · 不脱敏" in page  # L1 is never masked; phone asked in clear

    steward = login(STEWARD)
    assert f"/sharing/requests/{request_id}" in steward.get("/sharing/inbox").text
    detail = steward.get(url)
    assert "sharing-decide" in detail.text
    r = steward.post_form(f"{url}/decide", {"decision": "approve", "fields": ["phone", "age"], "unmasked": [],
                                            "comment": "同意，手机号脱敏"})
    assert r.status_code == 303
    assert "已授权" in steward.get(url).text
    shared = officer.get("/api/v1/shared/hz_people").json()
    assert shared["masked"] == ["phone"]
    mine = steward.get("/sharing").text
    grant_id = re.search(r'data-grant="(\d+)"', mine)
    assert grant_id
    r = steward.post_form(f"/sharing/grants/{grant_id.group(1)}/revoke", {"reason": "用途结束"})
    assert r.status_code == 303
    assert "已撤销" in officer.get("/sharing").text
    usage = steward.get("/sharing/usage").text
    assert "本部门数据被调用" in usage and "hz_people" in usage
    en = officer.get("/sharing/usage?lang=en").text
    assert "Our calls" in en
