"""The demo province's three lists and achievements (data/lists.yaml): one chain per application named in the
press release, demand → scenario (carried by the application) → reform, the application as an achievement of
its scenario, and the regulations, standards and definition sets the press release names. Idempotent."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import yaml
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from digigov.identity.actor import Actor
from digigov.platform.catalog.model import Resource
from digigov.platform.lists import service as lists
from digigov.platform.lists.model import ListEntry

DATA = Path(__file__).parent / "data" / "lists.yaml"
START = dt.date(2021, 2, 18)  # the provincial digital-reform conference


def build(session: Session, actor: Actor) -> dict[str, int]:
    if session.scalar(select(func.count()).select_from(ListEntry)):
        return {}
    spec: dict[str, Any] = yaml.safe_load(DATA.read_text(encoding="utf-8"))
    apps = {r.name: r for r in session.scalars(select(Resource).where(Resource.kind == "application"))}
    reforms: dict[str, int] = {}
    made = {"demand": 0, "scenario": 0, "reform": 0, "achievement": 0}
    for i, chain in enumerate(spec["chains"]):
        common = {"system": chain["system"], "owner": chain["owner"], "started_on": START}
        done = i % 3 != 2  # two of three chains delivered by the press conference (2021-08-29)
        demand = lists.create_entry(session, actor, kind="demand", title=chain["demand"], status="done", **common,
                                    done_on=dt.date(2021, 3, 31))
        scenario = lists.create_entry(session, actor, kind="scenario", title=chain["scenario"],
                                      status="done" if done else "in_progress", due_on=dt.date(2021, 8, 29),
                                      done_on=dt.date(2021, 7, 6) if done else None, **common)
        reform = lists.create_entry(session, actor, kind="reform", title=chain["reform"], status="in_progress",
                                    due_on=dt.date(2022, 6, 30), **common)
        lists.link(session, actor, demand.id, scenario.id)
        lists.link(session, actor, scenario.id, reform.id)
        app = apps.get(chain["application"])
        if app is not None:
            lists.attach_application(session, actor, scenario.id, app.id)
            lists.record_achievement(session, actor, kind="application", category="应用", title=app.name,
                                     resource_id=app.id, produced_by=[scenario.id], system=app.system,
                                     region_code=app.region_code, issued_on=dt.date(2021, 8, 29) if done else None)
            made["achievement"] += 1
        reforms[chain["reform"]] = reform.id
        made["demand"] += 1
        made["scenario"] += 1
        made["reform"] += 1
    for a in spec["achievements"]:
        issued = a.get("issued_on")
        lists.record_achievement(session, actor, kind=a["kind"], category=a.get("category", ""), title=a["title"],
                                 reference=a.get("reference", ""), issuer=a.get("issuer", ""),
                                 issued_on=issued if isinstance(issued, dt.date) else None,
                                 description=a.get("description", ""), system=a.get("system"),
                                 produced_by=[reforms[r] for r in a["from"]])
        made["achievement"] += 1
    return made
