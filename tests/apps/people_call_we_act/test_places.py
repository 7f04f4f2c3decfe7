"""The Hangzhou gazetteer and locate() from text and from coordinates."""

import pytest

from digigov.apps.digital_society.people_call_we_act import places
from digigov.identity.regions import zhejiang_regions

CURRENT = {"330102", "330105", "330106", "330108", "330109", "330110", "330111", "330112", "330113", "330114",
           "330122", "330127", "330182"}


def test_gazetteer_has_current_districts() -> None:
    assert set(places.counties()) == CURRENT
    regions = {r.code: r.name for r in zhejiang_regions()}
    for code, name in places.counties().items():
        assert regions[code] == name
    for code in CURRENT:
        mine = [s for s in places.streets() if s.county_code == code]
        assert len(mine) >= 3
    for s in places.streets():
        assert 118.3 < s.lon < 120.8 and 29.1 < s.lat < 30.6 and s.landmarks


@pytest.mark.parametrize(("text", "county", "street"), [
    ("市民来电反映：拱墅区米市巷街道某小区楼下每天晚上吵得睡不着", "330105", "米市巷街道"),
    ("我家在滨江长河，路灯坏了", "330108", "长河街道"),
    ("文三路上有个井盖缺了", "330106", "西溪街道"),
    ("江干区采荷新村门口垃圾没人清运", "330102", "采荷街道"),  # pre-2021 name, today's district
    ("临平区南苑街道的电梯困人", "330113", "南苑街道"),
    ("钱塘区白杨街道学源街停水", "330114", "白杨街道"),
    ("淳安千岛湖广场边上烧烤摊", "330127", "千岛湖镇"),
])
def test_locate_from_text(text: str, county: str, street: str) -> None:
    found = places.locate(text)
    assert (found.county_code, found.street, found.how) == (county, street, "text")
    assert found.confidence >= 0.75 and found.lon is not None


def test_locate_district_only_and_elsewhere() -> None:
    found = places.locate("余杭区有个工地晚上施工")
    assert (found.county_code, found.street, found.confidence) == ("330110", None, 0.6)
    ningbo = places.locate("宁波市鄞州区天童南路有人乱停车")
    assert ningbo.county_code == "330212" and ningbo.how == "cpca" and ningbo.street is None
    assert places.locate("楼下很吵").how == "none"


def test_locate_from_coordinates() -> None:
    found = places.locate(None, 120.146, 30.277)
    assert (found.county_code, found.street, found.how) == ("330106", "西溪街道", "coordinates")
    # coordinates win over the text; far outside Hangzhou falls back to the text
    assert places.locate("拱墅区米市巷", 120.196, 30.189).street == "长河街道"
    assert places.locate("拱墅区米市巷", 121.47, 31.23).street == "米市巷街道"
    assert places.locate(None, 121.47, 31.23).county_code is None
