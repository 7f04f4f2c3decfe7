"""The checks a window makes before anything travels (resident ID checksum, materials, target city), and the
statistics by item, city and direction computed from stored applications, on every backend."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy.orm import Session

from digigov.apps.digital_government.cross_province_services import catalogue, stats
from digigov.apps.digital_government.cross_province_services import service as xps
from digigov.apps.digital_government.cross_province_services.model import XpsApplication
from digigov.core.errors import InvalidInput
from digigov.core.settings import Settings
from digigov.identity.actor import Actor

AUDITOR = Actor(username="auditor", roles=frozenset({"auditor"}), user_id=1)


def test_the_catalogue_ships_the_four_cities_and_enough_items() -> None:
    assert {c.name for c in catalogue.cities().values()} == {"衢州市", "南平市", "上饶市", "黄山市"}
    items = catalogue.items()
    assert len(items) >= 30
    assert {i.group for i in items.values()} >= {"social_security", "exit_entry", "vehicle", "enterprise",
                                                  "housing_fund", "medical_insurance", "civil_affairs"}
    assert all(i.materials and i.time_limit > 0 and i.cities for i in items.values())
    fund = catalogue.item("XPS-GJ-001")
    assert fund.authority_in(catalogue.city("350700")) == "南平市住房公积金管理中心"


@pytest.mark.parametrize("number", ["11010519491231002X", "11010519491231002x", " 330802199001011232 "])
def test_valid_resident_id_numbers(number: str) -> None:
    assert xps.check_id_number(number) == number.strip().upper()


@pytest.mark.parametrize("number", ["110105194912310021",  # wrong check digit
                                    "11010519491331002X",  # no 13th month
                                    "1101051949123100", ""])
def test_invalid_resident_id_numbers_are_refused(number: str) -> None:
    with pytest.raises(InvalidInput) as refused:
        xps.check_id_number(number)
    assert refused.value.key == "xps_id_number" and refused.value.code == "xps_id_number"


def test_a_window_checks_the_application_before_it_is_recorded(session: Session, actor_of) -> None:
    settings = Settings(secret_key="test", xps_city="330800", xps_max_material_bytes=64)
    clerk = actor_of("hz_police_steward")
    base = {"item_code": "XPS-GJ-003", "target_city": "350700", "applicant_name": "张三",
            "id_number": "11010519491231002X", "settings": settings}
    files = [xps.Upload("居民身份证", "id.pdf", b"id"), xps.Upload("异地转移接续申请表", "f.pdf", b"form")]

    def refused(**changes: object) -> str:
        with pytest.raises(Exception) as exc:
            xps.apply(session, clerk, **{**base, "materials": files, **changes})  # type: ignore[arg-type]
        return str(getattr(exc.value, "key", exc.value))

    assert refused(id_number="110105194912310021") == "xps_id_number"
    assert refused(target_city="330800") == "xps_same_city"
    assert refused(target_city="440300") == "xps_city_unknown"
    assert refused(item_code="XPS-NOPE") == "xps_item_unknown"
    assert refused(materials=files[:1]) == "xps_materials_missing"
    assert refused(materials=[*files, xps.Upload("护照", "p.pdf", b"p")]) == "xps_material_unknown"
    assert refused(materials=[files[0], xps.Upload("异地转移接续申请表", "f.pdf", b"x" * 65)]) == \
        "xps_material_too_large"
    assert refused(applicant_name=" ") == "xps_name_required"
    assert refused() == "xps_no_peer"  # all good, but this store trusts no 南平 instance


def _row(ref: str, direction: str, item: str, other: str, submitted: datetime, *, days: float | None = None,
         due_days: int = 5, status: str = "", result: str = "approved") -> XpsApplication:
    here = "330800"
    done = submitted + timedelta(days=days) if days is not None else None
    return XpsApplication(
        ref=ref, direction=direction, item_code=item, origin_city=here if direction == "out" else other,
        target_city=other if direction == "out" else here, peer="p", applicant_name="x",
        applicant_id_number="11010519491231002X", applicant_phone="", form={}, channel="window",
        status=status or ("completed" if done else "accepted"), department="330800-human_resources",
        submitted_by="t", submitted_at=submitted, due_at=submitted + timedelta(days=due_days), result_at=done,
        result=result if done else "", result_note="", attempts=1, last_error="", updated_at=submitted)


def test_statistics_by_item_city_and_direction(session: Session) -> None:
    t0 = datetime(2026, 3, 2, 1, 0, tzinfo=UTC)
    session.add_all([
        _row("S1", "out", "XPS-GJ-003", "350700", t0, days=2),  # on time
        _row("S2", "out", "XPS-GJ-003", "350700", t0, days=7),  # late
        _row("S3", "out", "XPS-SB-001", "361100", t0, days=3, result="refused"),  # on time
        _row("S4", "out", "XPS-SB-001", "361100", t0, status="send_failed"),
        _row("S5", "in", "XPS-GJ-003", "341000", t0, days=1),  # on time
        _row("S6", "in", "XPS-VH-001", "350700", t0),
    ])
    session.flush()
    figures = stats.compute(session, AUDITOR)
    assert figures["overall"] == {"total": 6, "done": 4, "approved": 3, "on_time": 3, "failed": 1,
                                  "on_time_rate": 0.75, "average_days": 3.2}  # (2+7+3+1)/4 = 3.25
    assert figures["by_direction"]["out"]["total"] == 4 and figures["by_direction"]["in"]["total"] == 2
    assert figures["by_direction"]["out"]["on_time_rate"] == round(2 / 3, 4)
    by_item = {r["item"]: r for r in figures["by_item"]}
    assert (by_item["XPS-GJ-003"]["total"], by_item["XPS-GJ-003"]["average_days"]) == (3, 3.3)  # 10/3
    assert by_item["XPS-VH-001"]["on_time_rate"] is None  # nothing answered yet
    by_city = {r["city"]: r for r in figures["by_city"]}
    assert by_city["350700"]["out"]["total"] == 2 and by_city["350700"]["in"]["total"] == 1
    assert by_city["361100"]["out"]["failed"] == 1 and by_city["341000"]["in"]["on_time"] == 1
    assert figures["by_item"][0]["item"] == "XPS-GJ-003"  # most applications first
