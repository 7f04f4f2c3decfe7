"""The cockpit counts warnings raised, red, verified, closed, dismissed and filed as cases by county → town →
village and by rule, within what the reader supervises; and the villagers' reports with the answer time."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session
from tests.apps.grassroots_power_supervision.conftest import OP, World
from tests.apps.grassroots_power_supervision.test_gps_lifecycle import PHOTO, jiande, user

from digigov.apps.party_governance.grassroots_power_supervision import cockpit, complaints, service
from digigov.apps.party_governance.grassroots_power_supervision.model import GpsWarning


def test_counts_follow_the_decisions(world: World, gps: Session) -> None:
    supervisor, official = user(gps, "jd_discipline_supervisor"), user(gps, "jd_town_official")
    mine = list(gps.scalars(select(GpsWarning).where(GpsWarning.region_code == "330182")))
    before = cockpit.figures(gps, supervisor)
    assert [r["key"] for r in before["rows"]] == ["330182"]  # 建德's commission sees 建德 only
    assert before["total"]["raised"] == before["total"]["red"] == len(mine)
    w = jiande(gps)
    service.verify(gps, official, w.id, rectification="重新履行招标程序", verification="查看招标记录", attachment=PHOTO,
                   now=w.due_at - timedelta(days=2))
    service.close(gps, supervisor, w.id)
    other = next(x for x in mine if x.id != w.id)
    service.file_case(gps, supervisor, other.id)
    third = next(x for x in mine if x.id not in (w.id, other.id))
    service.dismiss(gps, supervisor, third.id, reason="经核实数据口径不一致")
    after = cockpit.figures(gps, supervisor)["total"]
    assert after["raised"] == len(mine)
    assert (after["red"], after["verified"], after["on_time"], after["closed"], after["dismissed"], after["cases"]) \
        == (len(mine) - 2, 1, 1, 1, 1, 1)
    county = cockpit.figures(gps, supervisor, region="330182")
    assert county["level"] == "county" and sum(r["raised"] for r in county["rows"]) == len(mine)
    row = next(r for r in county["rows"] if r["key"] == w.town)
    assert row["closed"] == 1
    town = cockpit.figures(gps, supervisor, region="330182", town=w.town)
    assert town["level"] == "town" and w.village in {r["key"] for r in town["rows"]}
    by_rule = {r["rule"]: r for r in county["by_rule"]}
    assert by_rule["gps.project_cadre_interest"]["closed"] == 1
    assert sum(r["raised"] for r in county["by_rule"]) == len(mine)


def test_the_province_sees_every_county_and_the_reports(world: World, gps: Session) -> None:
    everything = cockpit.figures(gps, OP)
    assert {"330182", "330109"} <= {r["key"] for r in everything["rows"]}
    assert everything["total"]["raised"] == len(list(gps.scalars(select(GpsWarning))))
    station = next(s for s in complaints.stations(gps) if s.region_code == "330182")
    c = complaints.submit(gps, place=f"{station.region_code}|{station.town}|{station.village}", matter="seal",
                          text="村里盖章要找书记本人，书记不在就盖不了，能不能规范一下。", kind="suggestion")
    figures = cockpit.figures(gps, OP, region="330182")["total"]["complaints"]
    assert (figures["received"], figures["taken"], figures["answered"]) == (1, 0, 0)
    assert c.receipt and len(c.receipt) == complaints.RECEIPT_LENGTH
