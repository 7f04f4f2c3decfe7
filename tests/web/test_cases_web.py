"""The case engine over HTTP: the JSON API through a whole loop with the 12345 dispatcher, the assigned
department and the citizen's token; who is refused; and the console pages (inbox, case, supervision,
tracking, the public form) rendering what the store holds."""

from __future__ import annotations

from collections.abc import Callable

from fastapi.testclient import TestClient

TYPE = "people_call.ticket"
BASE = "/api/v1/cases"


def _open(client: TestClient, headers: dict[str, str]) -> dict:  # type: ignore[type-arg]
    body = {"type": TYPE, "title": "文三路工地夜间施工噪音", "description": "每天晚上十一点后还在打桩",
            "region_code": "330106", "channel": "hotline"}
    r = client.post(BASE, json=body, headers=headers)
    assert r.status_code == 201, r.text
    return r.json()  # type: ignore[no-any-return]


def test_api_loop_with_return_and_unsatisfied_reopen(client: TestClient,
                                                     bearer: Callable[[str], dict[str, str]]) -> None:
    dispatcher, urban = bearer("hz_hotline_dispatcher"), bearer("xh_urban_officer")
    housing = bearer("xh_housing_officer")
    case = _open(client, dispatcher)
    assert case["status"] == "intake" and case["number"].startswith("MH")
    cid = case["id"]
    r = client.post(f"{BASE}/{cid}/triage", json={"category": "noise_construction"}, headers=dispatcher)
    assert r.status_code == 200 and r.json()["status"] == "triaged"
    r = client.post(f"{BASE}/{cid}/assign", json={"department": "330106-housing"}, headers=dispatcher)
    assert r.json()["status"] == "assigned" and r.json()["due_at"]
    assert client.post(f"{BASE}/{cid}/respond", json={"response": "x"}, headers=urban).status_code == 403
    r = client.post(f"{BASE}/{cid}/return", json={"reason": "施工噪音归综合执法"}, headers=housing)
    assert r.json()["status"] == "returned"
    client.post(f"{BASE}/{cid}/assign", json={"department": "330106-urban_management"}, headers=dispatcher)
    inbox = client.get(f"{BASE}/inbox", headers=urban).json()
    assert cid in [c["id"] for c in inbox["handling"]]
    r = client.post(f"{BASE}/{cid}/respond", json={"response": "已责令停止夜间施工"}, headers=urban)
    assert r.status_code == 200 and r.json()["status"] == "verified"  # green: verified automatically
    assert client.post(f"{BASE}/{cid}/accept", headers=urban).status_code == 409  # not waiting for that
    from digigov.platform.cases.model import Case

    token = client.app.state.session_factory().get(Case, cid).citizen_token  # type: ignore[attr-defined]
    public = client.get(f"/api/v1/track/{token}").json()
    assert public["can_rate"] and public["response"] == "已责令停止夜间施工" and "citizen_phone" not in public
    r = client.post(f"/api/v1/track/{token}/rating", json={"rating": "unsatisfied", "comment": "还在施工"})
    assert r.status_code == 200 and r.json()["status"] == "reopened"
    assert client.post(f"/api/v1/track/{token}/rating", json={"rating": "satisfied"}).status_code == 409
    detail = client.get(f"{BASE}/{cid}", headers=dispatcher).json()
    assert [e["action"] for e in detail["history"]] == [
        "open", "triage", "assign", "return", "assign", "accept", "respond", "verify", "reopen"]
    listed = client.get(BASE, params={"type": TYPE, "status": "reopened", "region": "330100"}, headers=dispatcher)
    assert [c["id"] for c in listed.json()["items"]] == [cid]
    assert client.get(f"{BASE}/{cid}", headers=bearer("hz_civil_officer")).status_code == 403
    assert client.get("/api/v1/track/not-a-real-token-123").status_code == 404


def test_bulk_supervision_reports_each_case(client: TestClient, bearer: Callable[[str], dict[str, str]]) -> None:
    dispatcher, supervisor = bearer("hz_hotline_dispatcher"), bearer("hz_hotline_supervisor")
    ids = [_open(client, dispatcher)["id"] for _ in range(2)]
    body = {"ids": [*ids, 2_000_000], "action": "escalate", "note": "限期办结"}
    r = client.post(f"{BASE}/supervision/bulk", json=body, headers=supervisor)
    assert r.status_code == 200 and len(r.json()["done"]) == 2 and list(r.json()["failed"]) == ["2000000"]
    assert client.post(f"{BASE}/supervision/bulk", json={"ids": ids, "action": "escalate", "note": "x"},
                       headers=dispatcher).json()["failed"]  # an officer is not a supervisor
    queue = client.get(f"{BASE}/supervision", headers=supervisor).json()
    assert {c["id"] for c in queue} >= set(ids)


def test_console_pages_show_the_loop(client: TestClient, login, bearer) -> None:  # type: ignore[no-untyped-def]
    dispatcher = bearer("hz_hotline_dispatcher")
    case = _open(client, dispatcher)
    console = login("hz_hotline_dispatcher")
    page = console.get("/cases/inbox")
    assert page.status_code == 200 and case["number"] in page.text and "待分拨" in page.text
    page = console.get(f"/cases/{case['id']}")
    assert "分类并派单" in page.text and "文三路工地夜间施工噪音" in page.text
    r = console.post_form(f"/cases/{case['id']}/dispatch", {"category": "noise_construction",
                                                            "department": "330106-urban_management"})
    assert r.status_code == 303
    assert "待签收" in console.get(f"/cases/{case['id']}").text
    assert "督办" in login("hz_hotline_supervisor").get("/cases/supervision").text
    listed = console.get("/cases", params={"type": TYPE, "status": "assigned"})
    assert case["number"] in listed.text
    form = client.get("/people-call/new")
    assert form.status_code == 200 and "我要反映" in form.text
