"""The vendoring script copies exactly the needed dist files from node_modules."""

from __future__ import annotations

from pathlib import Path

import pytest

from digigov.web import assets


def _fake_node_modules(root: Path) -> Path:
    for pkg, src, _ in assets.FILES:
        path = root / pkg / src
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(f"/* {pkg}/{src} */", encoding="utf-8")
    (root / "htmx.org" / "LICENSE").write_text("BSD", encoding="utf-8")
    return root


def test_vendor_copies_the_listed_files(tmp_path: Path) -> None:
    node_modules = _fake_node_modules(tmp_path / "node_modules")
    static = tmp_path / "static"
    written = assets.vendor(node_modules, static)
    vendor = static / "vendor"
    for name in (
        "htmx.min.js",
        "echarts.min.js",
        "leaflet/leaflet.js",
        "leaflet/leaflet.css",
        "leaflet/images/marker-icon.png",
        "swagger-ui/swagger-ui-bundle.js",
        "swagger-ui/swagger-ui.css",
    ):
        assert (vendor / name).is_file(), name
    assert (vendor / "htmx.min.js").read_text(encoding="utf-8") == "/* htmx.org/dist/htmx.min.js */"
    assert (vendor / "licenses" / "htmx.org-LICENSE").is_file()
    assert len(written) == len(assets.FILES) + 1


def test_vendor_names_missing_files(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError, match="htmx.org/dist/htmx.min.js"):
        assets.vendor(tmp_path, tmp_path / "static")
    assert assets.main([str(tmp_path), str(tmp_path / "static")]) == 1


def test_package_json_pins_htmx_2() -> None:
    import json

    package = json.loads((Path(__file__).resolve().parents[2] / "package.json").read_text(encoding="utf-8"))
    deps = package["dependencies"]
    assert deps["htmx.org"].lstrip("~^").startswith("2.")
    assert set(deps) >= {"htmx.org", "echarts", "leaflet", "swagger-ui-dist"}
