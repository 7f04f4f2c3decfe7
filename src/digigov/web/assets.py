"""Copy the npm-installed front-end files the console serves into static/vendor/ (git-ignored).

    npm ci && python -m digigov.web.assets [NODE_MODULES] [STATIC_DIR]

Only the files the pages load are copied, so the console works with no internet: htmx 2, ECharts,
Leaflet (with its CSS and marker images) and Swagger UI for /docs.
"""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

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
LICENSES = ("htmx.org", "echarts", "leaflet", "swagger-ui-dist")

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


def main(argv: list[str] | None = None) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    node_modules = Path(args[0]) if args else DEFAULT_NODE_MODULES
    static = Path(args[1]) if len(args) > 1 else DEFAULT_STATIC
    try:
        written = vendor(node_modules, static)
    except FileNotFoundError as exc:
        print(exc, file=sys.stderr)
        return 1
    print(f"vendored {len(written)} files into {static / 'vendor'}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
