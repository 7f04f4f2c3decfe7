"""Generate the demo departments' files, and the truth beside them, in one streaming pass.

Order: enterprises first (without representatives), then the people household by household, each
writing straight into the person files (household register, deaths, subsistence, contributions, claims);
then the enterprise files, which need the representatives and cadres found among the people. The people
are written in chunks, so memory holds the enterprises and one chunk of people, not the population.
"""

from __future__ import annotations

import gc
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

from digigov.demo.govdata.activity import CLAIM_SCHEMA, PEOPLE_SCHEMA, PersonActivity
from digigov.demo.govdata.business import ENTERPRISE_SCHEMA, Business, enterprise_columns
from digigov.demo.govdata.catalog import SIZES, SPECS, DemoFile, GeneratedData
from digigov.demo.govdata.enterprises import Registry, make_enterprises
from digigov.demo.govdata.noise import RATES
from digigov.demo.govdata.people import PeopleFactory
from digigov.demo.govdata.reference import REF_DATE, World
from digigov.demo.govdata.sink import Sink
from digigov.demo.govdata.writers import ParquetRowWriter, write_parquet

Progress = Callable[[str, int, int], None]
CHUNK = 20_000  # people per flush
PERSON_FILES = ("ps_household", "ca_death", "ca_subsistence", "hr_contribution", "ms_claim")
ENTERPRISE_FILES = ("mr_enterprise", "mr_food_licence", "ag_village_project", "ag_village_contract")


def generate(out_dir: Path, *, size: str = "small", seed: int = 2021,
             progress: Progress | None = None) -> GeneratedData:
    """Write the nine department files into ``out_dir`` and the truth into ``out_dir / "truth"``.

    The same ``size`` and ``seed`` always give byte-identical files.
    """
    if size not in SIZES:
        raise ValueError(f"unknown size {size!r}; expected one of {', '.join(SIZES)}")
    # The run allocates millions of small acyclic objects; the cyclic collector would re-scan the enterprises
    # and buffers thousands of times for nothing (about a sixth of the run time). It is back on at the end.
    collecting = gc.isenabled()
    gc.disable()
    try:
        return _generate(Path(out_dir), size, seed, progress)
    finally:
        if collecting:
            gc.enable()


def _generate(out_dir: Path, size: str, seed: int, progress: Progress | None) -> GeneratedData:
    report = progress or (lambda _stage, _done, _total: None)
    total = SIZES[size]
    truth_dir = out_dir / "truth"
    out_dir.mkdir(parents=True, exist_ok=True)
    truth_dir.mkdir(exist_ok=True)

    world = World(seed)
    enterprises = make_enterprises(world, total // 10, seed)
    registry = Registry(world, enterprises, total, seed)
    report("enterprises", len(enterprises), len(enterprises))

    sinks = {name: Sink(SPECS[name], out_dir, truth_dir, seed, CLAIM_SCHEMA if name == "ms_claim" else None)
             for name in PERSON_FILES}
    activity = PersonActivity(sinks, registry, seed)
    factory = PeopleFactory(world, seed)
    people_writer = ParquetRowWriter(truth_dir / "people.parquet", PEOPLE_SCHEMA)
    done = 0
    while done < total:
        rows: list[list[Any]] = []
        target = min(total, done + CHUNK)
        while done < target:
            members = factory.household(target - done)
            done += len(members)
            activity.household(members, rows)
        for row in rows:
            people_writer.write(row)
        people_writer.flush()
        for sink in sinks.values():
            sink.flush()
        gc.collect(0)
        report("people", done, total)
    people_writer.close()
    factory.ids.clear()
    registry.finish()

    business = Business(world, registry, activity.cadres, total, seed)
    makers = {
        "mr_enterprise": business.enterprises,
        "mr_food_licence": business.food_licences,
        "ag_village_project": business.village_projects,
        "ag_village_contract": business.village_contracts,
    }
    for step, name in enumerate(ENTERPRISE_FILES, start=1):
        sink = sinks[name] = Sink(SPECS[name], out_dir, truth_dir, seed)
        makers[name](sink)
        report("enterprise_files", step, len(ENTERPRISE_FILES))
    rows_by_file = {name: sink.close() for name, sink in sinks.items()}
    write_parquet(truth_dir / "enterprises.parquet", enterprise_columns(enterprises), ENTERPRISE_SCHEMA)

    files = [_demo_file(name, out_dir, rows_by_file[name]) for name in SPECS]
    _manifest(truth_dir, size, seed, total, len(enterprises), sinks)
    return GeneratedData(directory=out_dir, size=size, seed=seed, files=files, truth_dir=truth_dir, people=total,
                         enterprises=len(enterprises))


def _demo_file(name: str, out_dir: Path, rows: int) -> DemoFile:
    spec = SPECS[name]
    return DemoFile(
        dataset=spec.dataset, name=spec.name, name_en=spec.name_en, description=spec.description,
        department_kind=spec.department_kind, region_code=spec.region_code, path=out_dir / spec.filename,
        format=spec.format, encoding=spec.encoding, update_frequency=spec.update_frequency,
        mapping=dict(spec.mapping), key=list(spec.key), rows=rows,
    )


def _manifest(truth_dir: Path, size: str, seed: int, people: int, enterprises: int, sinks: dict[str, Sink]) -> None:
    manifest = {
        "size": size,
        "seed": seed,
        "reference_date": REF_DATE.isoformat(),
        "people": people,
        "enterprises": enterprises,
        "base_rates": RATES,
        "datasets": {
            name: {
                "file": SPECS[name].filename,
                "rows": sinks[name].rows,
                "noise_scale": SPECS[name].scale,
                "noise": dict(sorted(sinks[name].noise_counts.items())),
                "anomalies": dict(sorted(sinks[name].anomalies.items())),
            }
            for name in SPECS
        },
    }
    text = json.dumps(manifest, ensure_ascii=False, indent=2) + "\n"
    (truth_dir / "manifest.json").write_text(text, encoding="utf-8")
