"""Registering and editing resources in the console: the form (zh/en), create, edit, who sees what, CSRF."""

from __future__ import annotations

import json
import re
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from digigov.audit.model import AuditRecord
from digigov.identity import service as identity
from digigov.platform.catalog.model import Resource
from tests.web.conftest import Console

OWNER = "330100-public_security"  # hz_police_steward's department, 杭州市公安局


def _form(**over: str) -> dict[str, Any]:
    data = {
        "kind": "dataset", "name": "机动车违法记录", "name_en": "Traffic violations",
        "description": "杭州市机动车交通违法记录，按日更新。", "owner_department": "", "system": "digital_government",
        "status": "online", "tags": "交通，违法, 车辆", "functions": "", "requires_authority": "",
        "budget": "", "depends_on": "",
    }
    data.update(over)
    return data


def _dept_id(session: Session, code: str) -> str:
    return str(identity.get_department(session, code).id)


def _resource(session: Session, name: str) -> Resource | None:
    session.expire_all()
    return session.scalar(select(Resource).where(Resource.name == name))


def _options(html: str, name: str) -> list[str]:
    """The option texts of the <select name=...> in `html`."""
    match = re.search(rf'<select name="{name}"[^>]*>(.*?)</select>', html, re.S)
    assert match, f"no select {name}"
    return [o.strip() for o in re.findall(r"<option[^>]*>([^<]*)</option>", match.group(1))]


def _selected(html: str, name: str) -> str | None:
    match = re.search(rf'<select name="{name}"[^>]*>(.*?)</select>', html, re.S)
    assert match, f"no select {name}"
    chosen = re.search(r"<option[^>]*selected[^>]*>([^<]*)</option>", match.group(1))
    return chosen.group(1).strip() if chosen else None


# ---------------------------------------------------------------- the form


def test_register_form_renders_for_a_steward_in_zh_and_en(login) -> None:  # type: ignore[no-untyped-def]
    c: Console = login("hz_police_steward")
    home = c.get("/").text
    assert 'href="/resources/new"' in home and "登记资源" in home
    r = c.get("/resources/new")
    assert r.status_code == 200
    html = r.text
    assert "<h1>登记资源" in html and "资源名称" in html and "功能清单（每行一项）" in html
    assert _options(html, "owner_department") == ["杭州市公安局"]  # their own department, preselected
    assert _selected(html, "owner_department") == "杭州市公安局"
    assert 'name="region_code"' not in html  # a steward does not pick a region
    assert _options(html, "kind") == ["应用", "数据", "组件", "云资源"]
    assert "<script>" not in html and " onclick=" not in html and " onchange=" not in html
    en = c.get("/resources/new?lang=en").text
    assert "<h1>Register a resource" in en and "Owner department" in en and "Functions (one per line)" in en
    assert _options(en, "kind") == ["Applications", "Data", "Components", "Cloud resources"]
    assert 'href="/resources/new"' in c.get("/?lang=en").text


def test_admin_may_pick_any_department(login, session: Session) -> None:  # type: ignore[no-untyped-def]
    c: Console = login("admin")
    html = c.get("/resources/new").text
    assert 'name="region_code"' in html and 'hx-get="/resources/owner-options"' in html
    assert _selected(html, "owner_department") == "浙江省大数据发展管理局"  # their own, preselected
    opts = c.get("/resources/owner-options?region_code=330200").text
    assert "宁波市应急管理局" in opts and "杭州市公安局" not in opts
    assert login("hz_police_steward").get("/resources/owner-options?region_code=330200").status_code == 403
    r = c.post_form("/resources/new", _form(owner_department=_dept_id(session, "330200-emergency_management"),
                                            region_code="330200"))
    assert r.status_code == 303
    created = _resource(session, "机动车违法记录")
    assert created is not None and created.owner.code == "330200-emergency_management"


def test_officer_sees_no_register_link_and_gets_no_form(login) -> None:  # type: ignore[no-untyped-def]
    c: Console = login("hz_civil_officer")
    assert 'href="/resources/new"' not in c.get("/").text
    assert c.get("/resources/new").status_code == 403
    r = c.post_form("/resources/new", _form(owner_department=""))
    assert r.status_code == 403
    auditor: Console = login("auditor")
    assert 'href="/resources/new"' not in auditor.get("/").text


# ---------------------------------------------------------------- create


def test_post_creates_redirects_and_is_searchable(login, session: Session, catalogue) -> None:  # type: ignore[no-untyped-def]
    c: Console = login("hz_police_steward")
    data = _form(kind="application", name="警务通", name_en="Police mobile", functions="人员核查\n\n车辆核查\n",
                 owner_department=_dept_id(session, OWNER), budget="120.5", requires_authority="no",
                 depends_on=f"{catalogue['population'].code}\n{catalogue['ocr'].code}")
    r = c.post_form("/resources/new", data)
    assert r.status_code == 303, r.text
    created = _resource(session, "警务通")
    assert created is not None and r.headers["location"] == f"/resources/{created.code}"
    assert created.code.startswith("APP-330100-") and created.functions == ["人员核查", "车辆核查"]
    assert created.tags == ["交通", "违法", "车辆"] and created.budget_wan == 120.5
    assert created.requires_authority is False
    page = c.get(r.headers["location"]).text
    assert f"资源 {created.code} 已登记" in page and "身份证识别组件" in page and "常住人口基本信息" in page
    assert f'href="/resources/{created.code}/edit"' in page
    assert f"/resources/{created.code}" in c.get("/search?q=警务通").text
    session.expire_all()
    actions = session.scalars(select(AuditRecord.action).where(AuditRecord.object_id == created.code)).all()
    assert actions.count("catalog.resource.create") == 1 and actions.count("catalog.dependency.add") == 2


def test_requires_authority_follows_the_kind_unless_chosen(login, session: Session) -> None:  # type: ignore[no-untyped-def]
    c: Console = login("hz_police_steward")
    dept = _dept_id(session, OWNER)
    assert c.post_form("/resources/new", _form(owner_department=dept, name="甲数据")).status_code == 303
    r = c.post_form("/resources/new", _form(owner_department=dept, name="乙组件", kind="component"))
    assert r.status_code == 303
    a, b = _resource(session, "甲数据"), _resource(session, "乙组件")
    assert a is not None and a.requires_authority is True
    assert b is not None and b.requires_authority is False


def test_validation_errors_rerender_the_form_with_the_values(login, session: Session, catalogue) -> None:  # type: ignore[no-untyped-def]
    c: Console = login("hz_police_steward")
    dept = _dept_id(session, OWNER)
    r = c.post_form("/resources/new", _form(owner_department=dept, name="  ", description="保留的描述文字"))
    assert r.status_code == 422
    assert "未能保存，请检查“资源名称”" in r.text and 'aria-invalid="true"' in r.text
    assert "保留的描述文字" in r.text and 'value="交通，违法, 车辆"' in r.text
    assert _selected(r.text, "kind") == "数据" and _selected(r.text, "system") == "数字政府"
    r = c.post_form("/resources/new", _form(owner_department=dept, budget="很多"))
    assert r.status_code == 422 and "预算（万元）" in r.text and "须为非负数字" in r.text
    assert 'value="很多"' in r.text
    r = c.post_form("/resources/new", _form(owner_department=dept, kind="spaceship"))
    assert r.status_code == 422 and "“资源类型”的取值无效" in r.text
    r = c.post_form("/resources/new", _form(owner_department=dept, depends_on="CMP-999999-0001"))
    assert r.status_code == 404 and "CMP-999999-0001" in r.text and "<form" in r.text
    r = c.post_form("/resources/new", _form(owner_department=dept, kind="component",
                                            depends_on=catalogue["app"].code))
    assert r.status_code == 409 and "依赖方向不对" in r.text
    en = c.post_form("/resources/new?lang=en", _form(owner_department=dept, name=""))
    assert en.status_code == 422 and "Not saved; check “Name”" in en.text
    assert _resource(session, "机动车违法记录") is None  # nothing was kept


def test_steward_cannot_register_for_another_department(login, session: Session) -> None:  # type: ignore[no-untyped-def]
    c: Console = login("hz_police_steward")
    r = c.post_form("/resources/new", _form(owner_department=_dept_id(session, "330100-civil_affairs")))
    assert r.status_code == 403 and _resource(session, "机动车违法记录") is None


def test_csrf_is_required(login, session: Session, catalogue) -> None:  # type: ignore[no-untyped-def]
    c: Console = login("hz_police_steward")
    data = _form(owner_department=_dept_id(session, OWNER))
    assert c.post("/resources/new", data=data, follow_redirects=False).status_code == 403
    assert c.post("/resources/new", data={**data, "csrf_token": "forged"}, follow_redirects=False).status_code == 403
    code = catalogue["population"].code
    r = c.post(f"/resources/{code}/edit", data={"name": "被篡改"}, follow_redirects=False)
    assert r.status_code == 403
    assert _resource(session, "机动车违法记录") is None and _resource(session, "被篡改") is None


# ---------------------------------------------------------------- edit


def test_edit_button_only_for_those_who_may_manage(login, catalogue) -> None:  # type: ignore[no-untyped-def]
    code = catalogue["population"].code  # 杭州市公安局's dataset
    edit = f'href="/resources/{code}/edit"'
    assert edit in login("hz_police_steward").get(f"/resources/{code}").text
    assert edit in login("admin").get(f"/resources/{code}").text
    for other in ("hz_civil_officer", "hz_civil_steward", "hz_police_approver"):
        c: Console = login(other)
        assert edit not in c.get(f"/resources/{code}").text, other
        assert c.get(f"/resources/{code}/edit").status_code == 403, other
        assert c.post_form(f"/resources/{code}/edit", {"name": "改名"}).status_code == 403, other
    assert "编辑" in login("hz_police_steward").get(f"/resources/{code}").text
    assert ">Edit</a>" in login("hz_police_steward").get(f"/resources/{code}?lang=en").text


def test_edit_form_is_prefilled_and_saving_redirects(login, session: Session, catalogue) -> None:  # type: ignore[no-untyped-def]
    c: Console = login("hz_police_steward")
    pop = catalogue["population"]
    html = c.get(f"/resources/{pop.code}/edit").text
    assert 'value="常住人口基本信息"' in html and 'value="人口, 户籍"' in html
    assert "杭州市常住人口的姓名" in html and _selected(html, "system") == "数字政府"
    assert _selected(html, "requires_authority") == "是" and _selected(html, "status") == "已上线"
    assert 'name="kind"' not in html and "类型登记后不可更改" in html
    form = {"name": "户籍人口信息库", "name_en": "", "description": pop.description, "owner_department":
            _dept_id(session, OWNER), "system": "digital_government", "status": "online", "tags": "人口, 户籍",
            "functions": "", "requires_authority": "yes", "budget": "", "depends_on": catalogue["ocr"].code}
    r = c.post_form(f"/resources/{pop.code}/edit", form)
    assert r.status_code == 303 and r.headers["location"] == f"/resources/{pop.code}"
    page = c.get(r.headers["location"]).text
    assert f"资源 {pop.code} 已保存" in page and "<h1>户籍人口信息库</h1>" in page and "身份证识别组件" in page
    assert f"/resources/{pop.code}" in c.get("/search?q=户籍人口信息库").text
    session.expire_all()
    [rec] = session.scalars(select(AuditRecord).where(AuditRecord.action == "catalog.resource.update",
                                                      AuditRecord.object_id == pop.code)).all()
    assert rec.actor == "hz_police_steward" and json.loads(rec.detail)["changed"] == ["name"]
    again = c.post_form(f"/resources/{pop.code}/edit", {**form, "depends_on": ""})
    assert again.status_code == 303 and "没有需要保存的修改" in c.get(f"/resources/{pop.code}").text


def test_edit_errors_keep_the_values_and_change_nothing(login, session: Session, catalogue) -> None:  # type: ignore[no-untyped-def]
    c: Console = login("hz_police_steward")
    pop = catalogue["population"]
    form = {"name": "新名称", "description": "新的描述", "owner_department": _dept_id(session, OWNER),
            "system": "", "status": "online", "tags": "", "requires_authority": "yes",
            "depends_on": catalogue["app"].code}  # a dataset cannot use an application
    r = c.post_form(f"/resources/{pop.code}/edit", form)
    assert r.status_code == 409 and 'value="新名称"' in r.text and "新的描述" in r.text
    assert _resource(session, "新名称") is None and _resource(session, "常住人口基本信息") is not None
    r = c.post_form(f"/resources/{pop.code}/edit",
                    {**form, "depends_on": "", "owner_department": _dept_id(session, "330100-civil_affairs")})
    assert r.status_code == 403  # a steward cannot give the resource away
    assert c.get("/resources/NOPE-1/edit").status_code == 404
