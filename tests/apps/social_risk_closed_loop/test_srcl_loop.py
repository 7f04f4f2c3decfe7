"""The closed loop of a task: the wage-arrears warning stays open through the street's acceptance and feedback, no
verification or close-out without the payslip voucher, a voucher short of what is owed is refused, and the upload
of the voucher closes it (its signal too, and the next run raises no new task on the same facts); a grid worker's
report becomes a task for the town, fed back, refused for want of evidence, verified with it, closed out, with the
closure rate of the town and the county moving as it goes; only the town's official handles, only a centre's
approver verifies, only the city centre closes out."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session
from tests.apps.social_risk_closed_loop.conftest import World, user

from digigov.apps.rule_of_law.social_risk_closed_loop import service
from digigov.apps.rule_of_law.social_risk_closed_loop.generator import PLANT_TOWN
from digigov.apps.rule_of_law.social_risk_closed_loop.model import SrclPayslip, SrclTask
from digigov.audit.model import AuditRecord
from digigov.core.errors import Conflict, InvalidInput, PermissionDenied
from digigov.platform.cases.model import Case, CaseAttachment
from digigov.platform.rules.model import Signal

VOUCHER = service.Upload("工资发放表-2025-05.pdf", b"%PDF-1.4 signed payroll of 120 workers", "application/pdf")
PHOTO = service.Upload("整改后.jpg", b"\xff\xd8 photo after the fix", "image/jpeg")


def wage_task(s: Session, world: World, key: str) -> SrclTask:
    w = world.truth["wages"]
    task = s.scalar(select(SrclTask).where(SrclTask.subject_key == f"srcl:{service.WAGE}:wage:{w[key]}:{w['period']}"))
    assert task is not None
    return task


def area(s: Session, by: str, code: str) -> service.Area:
    county = code[:6] if by == "town" else ""
    return next(a for a in service.closure(s, service.SYSTEM, by=by, county=county) if a.code == code)


def test_wage_warning_closes_on_the_payslip_upload_not_before(world: World, srcl: Session) -> None:
    task = wage_task(srcl, world, "unpaid")
    official, boss, grid = (user(srcl, u) for u in ("huz_town_official", "huz_centre_supervisor", "huz_grid_worker"))
    case = srcl.get(Case, task.case_id)
    assert case is not None and case.colour == "red" and case.is_open
    with pytest.raises(PermissionDenied) as denied:  # the grid worker is in the same centre but not the town's official
        service.accept(srcl, grid, task.id)
    assert denied.value.key == "srcl_not_town_official"
    service.accept(srcl, official, task.id)
    service.feedback(srcl, official, task.id, text="经核实，总包单位资金未到位，已约谈建设单位和总包单位")
    assert case.step == "verify" and case.is_open
    with pytest.raises(Conflict) as refused:
        service.verify(srcl, boss, task.id, passed=True, note="电话核实")
    assert refused.value.key == "srcl_payslip_required"
    with pytest.raises(Conflict):
        service.close_out(srcl, boss, task.id)
    owed = service.owed_cents(task)
    assert owed == 120 * 7800 * 100
    with pytest.raises(InvalidInput) as short:
        service.upload_payslip(srcl, official, task.id, voucher=VOUCHER, amount=f"{owed / 100 - 1:.2f}",
                               paid_on=date(2025, 6, 25), workers=120)
    assert short.value.key == "srcl_payslip_short"
    with pytest.raises(InvalidInput):
        service.upload_payslip(srcl, official, task.id, voucher=None, amount=f"{owed / 100:.2f}",
                               paid_on=date(2025, 6, 25))
    with pytest.raises(PermissionDenied):  # the centre does not upload the town's voucher
        service.upload_payslip(srcl, boss, task.id, voucher=VOUCHER, amount=f"{owed / 100:.2f}",
                               paid_on=date(2025, 6, 25))
    assert case.is_open and srcl.scalar(select(SrclPayslip).where(SrclPayslip.task_id == task.id)) is None
    sig = srcl.get(Signal, task.signal_id)
    assert sig is not None and sig.status == "open"

    service.upload_payslip(srcl, official, task.id, voucher=VOUCHER, amount=f"{owed / 100:,.2f}",
                           paid_on=date(2025, 6, 25), workers=120)
    assert (case.status, case.resolution) == ("closed", "done")
    assert sig.status == "closed"
    slip = srcl.scalar(select(SrclPayslip).where(SrclPayslip.task_id == task.id))
    assert slip is not None and slip.amount_cents == owed and slip.uploaded_by == "huz_town_official"
    att = srcl.get(CaseAttachment, slip.attachment_id)
    assert att is not None and att.kind == "evidence" and att.content == VOUCHER.content
    assert srcl.scalar(select(AuditRecord).where(AuditRecord.action == "srcl.wage.payslip",
                                                 AuditRecord.object_id == str(task.id))) is not None
    # the bank data still shows the month unpaid: the next run raises a signal, but no new task on facts closed out
    again = service.sweep(srcl, service.SYSTEM)
    assert again.opened == [] and again.suppressed >= 1
    assert len(list(srcl.scalars(select(SrclTask).where(SrclTask.subject_key == task.subject_key)))) == 1


def test_payslip_on_a_late_payment_and_only_for_wage_tasks(world: World, srcl: Session) -> None:
    task = wage_task(srcl, world, "late")
    official = user(srcl, "huz_town_official")
    expected = float(task.evidence[0]["应发工资_元"])
    assert service.owed_cents(task) == round(expected * 100)  # paid in full but late: the voucher shows the month
    service.upload_payslip(srcl, official, task.id, voucher=VOUCHER, amount=f"{expected:.2f}",
                           paid_on=date(2025, 6, 18), finding="总包单位工程款到账延迟，工资已于6月18日发放")
    case = srcl.get(Case, task.case_id)
    assert case is not None and case.status == "closed" and case.response.startswith("总包单位")
    other = srcl.scalar(select(SrclTask).where(SrclTask.indicator != service.WAGE, SrclTask.town_code == PLANT_TOWN))
    if other is None:
        other = srcl.scalar(select(SrclTask).where(SrclTask.indicator != service.WAGE))
    assert other is not None
    with pytest.raises(Conflict):
        service.upload_payslip(srcl, official, other.id, voucher=VOUCHER, amount="1", paid_on=date(2025, 6, 18))


def test_grid_report_to_closure_moves_the_closure_rate(world: World, srcl: Session) -> None:
    official, boss, grid = (user(srcl, u) for u in ("huz_town_official", "huz_centre_supervisor", "huz_grid_worker"))
    cells = service.posts_of(srcl, grid, "grid_worker")
    assert [p.town_code for p in cells] == [PLANT_TOWN] * 3
    town_before, county_before = area(srcl, "town", PLANT_TOWN), area(srcl, "county", PLANT_TOWN[:6])
    city_before = service.city_closure(srcl, service.SYSTEM)

    row = service.report(srcl, grid, grid_code=cells[0].grid_code, domain="fire_safety", severity="orange",
                         description="出租房一楼童装作坊堆放布料，楼梯口堵塞，楼上住人", location="大河路东侧出租房3幢",
                         photo_names=["现场1.jpg", "楼梯口.jpg"], photos=[PHOTO])
    task = srcl.scalar(select(SrclTask).where(SrclTask.report_id == row.id))
    assert task is not None and task.source == "report" and task.town_code == PLANT_TOWN
    assert row.photos == ["现场1.jpg", "楼梯口.jpg", "整改后.jpg"] and task.evidence[0]["现场照片"].count(".jpg") == 3
    case = srcl.get(Case, task.case_id)
    assert case is not None and case.channel == "app" and case.colour == "red"
    assert case.department is not None and case.department.code == "330502-petitions"
    town, county = area(srcl, "town", PLANT_TOWN), area(srcl, "county", PLANT_TOWN[:6])
    assert (town.raised, town.closed) == (town_before.raised + 1, town_before.closed)
    assert county.raised == county_before.raised + 1 and county.open == county_before.open + 1
    assert town.rate is not None and town.rate < (town_before.rate or 1.0)

    with pytest.raises(PermissionDenied):  # the town's official handles; the centre does not feed back for the town
        service.feedback(srcl, boss, task.id, text="已整改")
    service.accept(srcl, official, task.id)
    service.feedback(srcl, official, task.id, text="已清理楼梯口堆放物，作坊搬离住人楼栋")
    with pytest.raises(PermissionDenied):  # the town's official does not verify its own feedback
        service.verify(srcl, official, task.id, passed=True)
    with pytest.raises(Conflict) as no_evidence:  # an orange task is verified only with evidence (the report's
        service.verify(srcl, boss, task.id, passed=True, note="查看照片")  # photo shows the risk, not the fix)
    assert no_evidence.value.key == "case_evidence_required"
    service.verify(srcl, boss, task.id, passed=False, note="请上传整改后的现场照片")
    assert case.step == "handle" and case.is_open
    service.feedback(srcl, official, task.id, text="已整改，附整改后照片", evidence=[PHOTO])
    service.verify(srcl, boss, task.id, passed=True, note="查看整改后照片，情况属实")
    assert case.step == "evaluate" and area(srcl, "town", PLANT_TOWN).closed == town_before.closed
    with pytest.raises(PermissionDenied):  # close-out is the city centre's
        service.close_out(srcl, official, task.id)
    service.close_out(srcl, boss, task.id, note="予以销号")
    assert (case.status, case.resolution) == ("closed", "done")
    town_after, city_after = area(srcl, "town", PLANT_TOWN), service.city_closure(srcl, service.SYSTEM)
    assert (town_after.raised, town_after.closed) == (town_before.raised + 1, town_before.closed + 1)
    assert city_after.closed == city_before.closed + 1 and city_after.raised == city_before.raised + 1
    assert town_after.rate is not None and town_after.rate > (town.rate or 0)
    actions = [e.action for e in service.read(srcl, boss, task.id).history]
    assert actions[:3] == ["open", "triage", "assign"] and actions[-1] == "rate"
    assert {"accept", "respond", "verify_fail", "verify", "attach"} <= set(actions)


def test_send_back_reopens_and_reports_are_checked(world: World, srcl: Session) -> None:
    official, boss, grid = (user(srcl, u) for u in ("huz_town_official", "huz_centre_supervisor", "huz_grid_worker"))
    cell = service.posts_of(srcl, grid, "grid_worker")[1].grid_code
    with pytest.raises(InvalidInput) as bad:
        service.report(srcl, grid, grid_code=cell, domain="weather", severity="yellow", description="积水严重",
                       location="路口")
    assert bad.value.key == "srcl_unknown_domain"
    with pytest.raises(InvalidInput):
        service.report(srcl, grid, grid_code=cell, domain="housing_safety", severity="yellow", description="裂",
                       location="路口")
    with pytest.raises(PermissionDenied):  # not the worker of that cell
        service.report(srcl, grid, grid_code="330503100001", domain="housing_safety", severity="yellow",
                       description="外墙出现裂缝", location="南浔古镇")
    row = service.report(srcl, grid, grid_code=cell, domain="housing_safety", severity="yellow",
                         description="老旧自建房外墙斜向裂缝，雨天渗水", location="晟舍新街112号")
    task = srcl.scalar(select(SrclTask).where(SrclTask.report_id == row.id))
    assert task is not None
    service.feedback(srcl, official, task.id, text="已委托房屋安全鉴定")  # feedback signs for it too
    service.verify(srcl, boss, task.id, passed=True)  # yellow: no evidence needed
    service.send_back(srcl, boss, task.id, reason="鉴定报告未出，不能销号")
    case = srcl.get(Case, task.case_id)
    assert case is not None and case.status == "reopened" and case.step == "handle" and case.reopen_count == 1
    rows, _ = service.list_tasks(srcl, boss, service.TaskFilter(town=PLANT_TOWN, status="open"), limit=200)
    assert task.id in {t.id for t, _c in rows}
