"""The three lists (三张清单) and the achievements registry: entries, the links demand → scenario → reform, the
applications that carry them, the achievements they produce, and the trace from any application back to the
demand it answers and forward to the reform it drove.

    create_entry / link / attach_application / record_achievement   (lists.manage; audited)
    trace_application(session, actor, resource_id)                     demands ← scenarios → reforms → achievements
    trace_entry(session, actor, entry_id)                              the same around one entry
    counts(session, actor)                                             by system and region, per list and kind
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from digigov.audit import service as audit
from digigov.core.errors import Conflict, InvalidInput, NotFound
from digigov.identity import service as identity
from digigov.identity.actor import Actor
from digigov.identity.permissions import require
from digigov.platform.catalog.model import SYSTEMS, Resource
from digigov.platform.lists.model import (
    ACHIEVEMENT_KINDS,
    KINDS,
    STATUSES,
    Achievement,
    AchievementSource,
    EntryApplication,
    ListEntry,
    ListLink,
)

PREFIX = {"demand": "XQ", "scenario": "CJ", "reform": "GG"}


def _entry(session: Session, entry_id: int) -> ListEntry:
    entry = session.get(ListEntry, entry_id)
    if entry is None:
        raise NotFound(f"list entry {entry_id} not found", key="list_entry_not_found", id=str(entry_id))
    return entry


def create_entry(session: Session, actor: Actor, *, kind: str, title: str, system: str, owner: str,
                 description: str = "", code: str = "", status: str = "planned", started_on: date | None = None,
                 due_on: date | None = None, done_on: date | None = None) -> ListEntry:
    """A new entry of list `kind`, owned by department `owner` (code); its region is the owner's."""
    require(actor, "lists.manage")
    if kind not in KINDS:
        raise InvalidInput(f"unknown list {kind!r}", key="list_kind", kind=kind)
    if system not in SYSTEMS:
        raise InvalidInput(f"unknown system {system!r}", key="list_system", system=system)
    if status not in STATUSES:
        raise InvalidInput(f"unknown status {status!r}", key="list_status", status=status)
    title = title.strip()
    if not title:
        raise InvalidInput("an entry needs a title", key="list_title")
    dept = identity.get_department(session, owner)
    if not code:
        n = len(session.scalars(select(ListEntry.id).where(ListEntry.kind == kind)).all()) + 1
        code = f"{PREFIX[kind]}-{dept.region_code}-{n:03d}"
    if session.scalar(select(ListEntry.id).where(ListEntry.code == code)) is not None:
        raise Conflict(f"list entry {code} exists", key="list_code_taken", code=code)
    entry = ListEntry(kind=kind, code=code, title=title[:300], description=description, system=system,
                      region_code=dept.region_code, owner_department_id=dept.id, status=status,
                      started_on=started_on, due_on=due_on, done_on=done_on)
    session.add(entry)
    session.flush()
    audit.record(session, actor, "lists.entry.create", "list_entry", entry.code,
                 detail={"kind": kind, "title": entry.title, "system": system, "owner": owner})
    return entry


def link(session: Session, actor: Actor, parent_id: int, child_id: int) -> ListLink:
    """`parent` leads to `child`: a demand to a scenario, or a scenario to a reform (nothing else)."""
    require(actor, "lists.manage")
    parent, child = _entry(session, parent_id), _entry(session, child_id)
    if KINDS.index(child.kind) != KINDS.index(parent.kind) + 1:
        raise InvalidInput(f"a {parent.kind} cannot lead to a {child.kind}", key="list_link_order",
                           parent=parent.kind, child=child.kind)
    found = session.scalar(select(ListLink).where(ListLink.parent_id == parent_id, ListLink.child_id == child_id))
    if found is not None:
        return found
    row = ListLink(parent_id=parent_id, child_id=child_id)
    session.add(row)
    session.flush()
    audit.record(session, actor, "lists.link", "list_entry", parent.code, detail={"child": child.code})
    return row


def attach_application(session: Session, actor: Actor, entry_id: int, resource_id: int) -> EntryApplication:
    """Application `resource_id` (of the IRS catalogue) carries scenario or reform `entry_id`."""
    require(actor, "lists.manage")
    entry = _entry(session, entry_id)
    app = session.get(Resource, resource_id)
    if app is None or app.kind != "application":
        raise InvalidInput("not an application of the catalogue", key="list_not_application")
    if entry.kind == "demand":
        raise InvalidInput("a demand is answered through a scenario, not by an application directly",
                           key="list_demand_application")
    found = session.scalar(select(EntryApplication).where(EntryApplication.entry_id == entry_id,
                                                          EntryApplication.resource_id == resource_id))
    if found is not None:
        return found
    row = EntryApplication(entry_id=entry_id, resource_id=resource_id)
    session.add(row)
    session.flush()
    audit.record(session, actor, "lists.application.attach", "list_entry", entry.code,
                 detail={"application": app.code})
    return row


def record_achievement(session: Session, actor: Actor, *, kind: str, title: str, produced_by: Sequence[int],
                       category: str = "", reference: str = "", issuer: str = "", issued_on: date | None = None,
                       description: str = "", resource_id: int | None = None, system: str | None = None,
                       region_code: str = "330000") -> Achievement:
    """An achievement produced by the entries `produced_by` (scenarios or reforms)."""
    require(actor, "lists.manage")
    if kind not in ACHIEVEMENT_KINDS:
        raise InvalidInput(f"unknown achievement kind {kind!r}", key="achievement_kind", kind=kind)
    if kind == "application" and resource_id is None:
        raise InvalidInput("an application achievement names its application", key="achievement_application")
    entries = [_entry(session, i) for i in produced_by]
    if any(e.kind == "demand" for e in entries):
        raise InvalidInput("achievements come from scenarios and reforms", key="achievement_from_demand")
    row = Achievement(kind=kind, title=title.strip()[:300], category=category, reference=reference, issuer=issuer,
                      issued_on=issued_on, description=description, resource_id=resource_id,
                      system=system or (entries[0].system if entries else None), region_code=region_code)
    session.add(row)
    session.flush()
    for e in entries:
        session.add(AchievementSource(achievement_id=row.id, entry_id=e.id))
    session.flush()
    audit.record(session, actor, "lists.achievement.record", "list_achievement", row.id,
                 detail={"kind": kind, "title": row.title, "from": [e.code for e in entries]})
    return row


# ---- reading ---------------------------------------------------------------------------------------------------


@dataclass
class Trace:
    """What surrounds an application or an entry, each list in code order."""

    applications: list[Resource] = field(default_factory=list)
    demands: list[ListEntry] = field(default_factory=list)
    scenarios: list[ListEntry] = field(default_factory=list)
    reforms: list[ListEntry] = field(default_factory=list)
    achievements: list[Achievement] = field(default_factory=list)
    links: list[tuple[int, int]] = field(default_factory=list)  # (parent, child) among the entries shown

    @property
    def entries(self) -> list[ListEntry]:
        return [*self.demands, *self.scenarios, *self.reforms]


def _walk(session: Session, start: Iterable[int]) -> set[int]:
    """Every entry reachable from `start` going up (to demands) and down (to reforms), without crossing over
    (a demand's other scenarios are not pulled in through the demand)."""
    links = session.execute(select(ListLink.parent_id, ListLink.child_id)).all()
    up: dict[int, set[int]] = defaultdict(set)
    down: dict[int, set[int]] = defaultdict(set)
    for p, c in links:
        up[c].add(p)
        down[p].add(c)
    seen = set(start)
    for graph in (up, down):
        frontier = list(start)
        while frontier:
            node = frontier.pop()
            for nxt in graph.get(node, ()):
                if nxt not in seen:
                    seen.add(nxt)
                    frontier.append(nxt)
    return seen


def _trace(session: Session, entry_ids: set[int], applications: list[Resource]) -> Trace:
    entries = sorted(session.scalars(select(ListEntry).where(ListEntry.id.in_(entry_ids))).all(),
                     key=lambda e: e.code) if entry_ids else []
    trace = Trace(applications=applications)
    for e in entries:
        {"demand": trace.demands, "scenario": trace.scenarios, "reform": trace.reforms}[e.kind].append(e)
    if entry_ids:
        trace.links = [(p, c) for p, c in session.execute(select(ListLink.parent_id, ListLink.child_id).where(
            ListLink.parent_id.in_(entry_ids), ListLink.child_id.in_(entry_ids))).all()]
        achievement_ids = set(session.scalars(select(AchievementSource.achievement_id).where(
            AchievementSource.entry_id.in_(entry_ids))))
        trace.achievements = sorted(session.scalars(select(Achievement).where(
            Achievement.id.in_(achievement_ids))).all(), key=lambda a: (ACHIEVEMENT_KINDS.index(a.kind), a.id))
        known = {a.id for a in trace.applications}
        more = session.scalars(select(Resource).join(EntryApplication, EntryApplication.resource_id == Resource.id)
                               .where(EntryApplication.entry_id.in_(entry_ids))).unique().all()
        trace.applications += [r for r in more if r.id not in known]
    return trace


def trace_application(session: Session, actor: Actor, resource_id: int) -> Trace:
    """The demands an application answers, the scenarios and reforms it carries or drove, their achievements."""
    require(actor, "lists.view")
    app = session.get(Resource, resource_id)
    if app is None or app.kind != "application":
        raise NotFound(f"application {resource_id} not found", key="list_application_not_found")
    start = set(session.scalars(select(EntryApplication.entry_id).where(EntryApplication.resource_id == resource_id)))
    # an application that is itself an achievement traces through the entries that produced it
    start |= set(session.scalars(select(AchievementSource.entry_id).join(
        Achievement, Achievement.id == AchievementSource.achievement_id).where(Achievement.resource_id == resource_id)))
    return _trace(session, _walk(session, start), [app])


def trace_entry(session: Session, actor: Actor, entry_id: int) -> tuple[ListEntry, Trace]:
    require(actor, "lists.view")
    entry = _entry(session, entry_id)
    return entry, _trace(session, _walk(session, {entry.id}), [])


def entries(session: Session, actor: Actor, *, kind: str | None = None, system: str | None = None,
            region: str | None = None) -> list[ListEntry]:
    require(actor, "lists.view")
    q = select(ListEntry).order_by(ListEntry.kind, ListEntry.code)
    if kind:
        q = q.where(ListEntry.kind == kind)
    if system:
        q = q.where(ListEntry.system == system)
    if region:
        q = q.where(ListEntry.region_code == region)
    return list(session.scalars(q))


def achievements(session: Session, actor: Actor, *, kind: str | None = None) -> list[Achievement]:
    require(actor, "lists.view")
    q = select(Achievement).order_by(Achievement.kind, Achievement.issued_on, Achievement.id)
    if kind:
        q = q.where(Achievement.kind == kind)
    return list(session.scalars(q))


@dataclass
class Counts:
    by_system: dict[str, Counter[str]]  # system -> list kind / achievement kind -> count
    by_region: dict[str, Counter[str]]
    totals: Counter[str]


def counts(session: Session, actor: Actor) -> Counts:
    """Entries per list and achievements per kind, by system and by region."""
    require(actor, "lists.view")
    by_system: dict[str, Counter[str]] = {s: Counter() for s in SYSTEMS}
    by_region: dict[str, Counter[str]] = defaultdict(Counter)
    totals: Counter[str] = Counter()
    for kind, system, region in session.execute(select(ListEntry.kind, ListEntry.system, ListEntry.region_code)):
        by_system.setdefault(system, Counter())[kind] += 1
        by_region[region][kind] += 1
        totals[kind] += 1
    for a_kind, a_system, a_region in session.execute(select(Achievement.kind, Achievement.system,
                                                             Achievement.region_code)):
        key = f"achievement_{a_kind}"
        if a_system:
            by_system.setdefault(a_system, Counter())[key] += 1
        by_region[a_region][key] += 1
        totals[key] += 1
    return Counts(by_system=by_system, by_region=dict(sorted(by_region.items())), totals=totals)


def application_choices(session: Session) -> list[Resource]:
    return list(session.scalars(select(Resource).where(Resource.kind == "application").order_by(Resource.code)))


def as_dict(entry: ListEntry) -> dict[str, Any]:
    return {"id": entry.id, "kind": entry.kind, "code": entry.code, "title": entry.title, "system": entry.system,
            "region_code": entry.region_code, "owner": entry.owner.code, "status": entry.status,
            "started_on": entry.started_on, "due_on": entry.due_on, "done_on": entry.done_on}
