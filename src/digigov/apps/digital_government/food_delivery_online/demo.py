"""The application's demo: after the departments' data is loaded (the demo province's enterprise registry and
food-business licences are in the warehouse), build the platforms' listings, kitchens, riders and deliveries, the
HR enrolment and the police accident records from them (`generator`), hand each file over through the platform's
ingestion path as its department would, write the planted truth beside the files, and run one verification
round, which opens the cases. Idempotent: a store that already holds a run is left alone."""

from __future__ import annotations

import csv
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from digigov.apps.digital_government.food_delivery_online import datasets, generator, service, sources
from digigov.apps.digital_government.food_delivery_online.model import FdoRun
from digigov.demo.govdata.reference import REF_DATE
from digigov.identity.actor import Actor
from digigov.platform.ingest import service as ingest

Progress = Callable[[str, int, int], None]
STEP = "food_delivery_online"
DEMO_PURPOSE = "浙江外卖在线：以企业登记和食品经营许可信息生成演示平台数据"


def write_files(generated: generator.Generated, directory: Path) -> dict[str, Path]:
    """One UTF-8 CSV per dataset, and truth.json (what was planted) beside them."""
    directory.mkdir(parents=True, exist_ok=True)
    paths = {}
    for spec in datasets.OWN:
        path = directory / spec.filename
        with path.open("w", encoding="utf-8", newline="") as f:
            out = csv.writer(f)
            out.writerow(spec.headers)
            out.writerows(generated.rows.get(spec.code, []))
        paths[spec.code] = path
    (directory / "truth.json").write_text(json.dumps(generated.truth, ensure_ascii=False, indent=1, sort_keys=True),
                                          encoding="utf-8")
    return paths


def load_files(session: Session, actor: Actor, paths: dict[str, Path]) -> dict[str, Any]:
    """Each file into its dataset, owned by its department, through ingestion (stage + commit)."""
    return {spec.code: ingest.load_file(session, actor, spec, paths[spec.code]) for spec in datasets.OWN}


def generate(session: Session, actor: Actor, *, size: str, seed: int) -> generator.Generated:
    """The platforms' data from the registries in the warehouse (each read audited)."""
    licences = sources.read(session, actor, datasets.FOOD_LICENCES, purpose=DEMO_PURPOSE)
    enterprises = sources.read(session, actor, datasets.ENTERPRISES, purpose=DEMO_PURPOSE)
    return generator.generate(licences.rows, enterprises.rows, size=size, seed=seed, captured_on=REF_DATE)


def build(session: Session, actor: Actor, *, size: str, seed: int, data_dir: Path | None,
          progress: Progress | None = None) -> dict[str, Any]:
    step = progress or (lambda *_: None)
    if data_dir is None or not all(sources.available(session, c) for c in (datasets.FOOD_LICENCES,
                                                                              datasets.ENTERPRISES)):
        return {"fdo_listings": 0}  # no registries to build the platforms' data from
    if session.scalar(select(func.count()).select_from(FdoRun)):
        return {"fdo_listings": 0}
    step(STEP, 0, 3)
    generated = generate(session, actor, size=size, seed=seed)
    paths = write_files(generated, Path(data_dir) / "food_delivery_online")
    step(STEP, 1, 3)
    loads = load_files(session, actor, paths)
    step(STEP, 2, 3)
    run = service.run(session, actor)
    step(STEP, 3, 3)
    return {"fdo_listings": run.listings, "fdo_findings": run.findings, "fdo_cases": run.cases_opened,
            "fdo_rows": sum(int(v["accepted"]) for v in loads.values())}
